import Foundation
import PluginKit

/// A tenant: a company or person that sells tickets on the platform.
package struct Organizer: Hashable, Sendable {
    package let id: OrganizerID
    package var name: String
    package var slug: String
    package var email: String
    /// The organizer's own platform fee in basis points, or nil for the platform default.
    package var feeBasisPoints: Int?
    /// The sender name of emails about the organizer's orders; nil uses `name`.
    var mailSenderName: String?
    /// Where buyers' replies go; nil uses `email`.
    var mailReplyTo: String?
    /// The organizer's own payout hold, set by an admin; nil for the platform's.
    var payoutHold: PayoutHold?
    package let createdAt: Timestamp
    /// When an admin suspended it; nil while it trades.
    package var suspendedAt: Timestamp? = nil

    /// The platform itself as the seller of credit packs (migration 0023): no key or member reaches it,
    /// and organizer lists leave it out.
    package static let platformID = OrganizerID("org_00000000000000000000000000")!
    /// The event every pack order names, since every order names one; a draft that is never shown.
    package static let creditShopEventID = EventID("evt_00000000000000000000000000")!

    package init(id: OrganizerID, name: String, slug: String, email: String, feeBasisPoints: Int?, mailSenderName: String? = nil,
                mailReplyTo: String? = nil, payoutHold: PayoutHold? = nil, createdAt: Timestamp, suspendedAt: Timestamp? = nil) {
        self.suspendedAt = suspendedAt
        self.id = id
        self.name = name
        self.slug = slug
        self.email = email
        self.feeBasisPoints = feeBasisPoints
        self.mailSenderName = mailSenderName
        self.mailReplyTo = mailReplyTo
        self.payoutHold = payoutHold
        self.createdAt = createdAt
    }

    /// The sender (the platform's address under the organizer's sender name) and reply-to of its emails.
    package func mailSender(platformAddress: String) -> (sender: MailAddress, replyTo: String) {
        (MailAddress(email: platformAddress, name: mailSenderName ?? name), mailReplyTo ?? email)
    }

    var feePolicy: FeePolicy { .forOrganizer(feeBasisPoints: feeBasisPoints) }

    package static func validate(name: String, slug: String, email: String, feeBasisPoints: Int?) throws(ValidationFailure) {
        var check = Validator()
        check.check(TextRules.isPresent(name, max: 200), "name", "must be 1 to 200 characters")
        check.check(TextRules.isSlug(slug), "slug", "must be 3 to 63 lowercase letters, digits or hyphens, starting with a letter or digit")
        check.check(TextRules.isEmail(email), "email", "must be an email address")
        if let fee = feeBasisPoints {
            check.check(FeePolicy(basisPoints: fee) != nil, "fee_bps", "must be between 0 and 10000 basis points")
        }
        try check.throwIfFailed()
    }

    package static func validate(mailSenderName: String?, mailReplyTo: String?) throws(ValidationFailure) {
        var check = Validator()
        if let name = mailSenderName { check.check(TextRules.isPresent(name, max: 100), "sender_name", "must be 1 to 100 characters") }
        if let address = mailReplyTo { check.check(TextRules.isEmail(address), "reply_to", "must be an email address") }
        try check.throwIfFailed()
    }
}

package enum TextRules {
    package static func isPresent(_ text: String, max: Int) -> Bool {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        // Counted in code points, as JSON Schema's maxLength is (a grapheme may hold several).
        return !trimmed.isEmpty && text.unicodeScalars.count <= max && !text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    package static func isSlug(_ text: String) -> Bool {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-")
        return (3...63).contains(text.count) && text.allSatisfy(allowed.contains) && text.first != "-" && text.last != "-"
    }

    package static func isEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, text.unicodeScalars.count <= 254, !parts[0].isEmpty else { return false }
        let domain = parts[1]
        return domain.contains(".") && !domain.hasPrefix(".") && !domain.hasSuffix(".")
            && !text.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "," })
            && !text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}

