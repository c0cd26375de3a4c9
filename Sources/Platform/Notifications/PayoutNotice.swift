import Foundation
import PluginKit
import SQLKit

/// The email that tells an organizer a payout is on its way. The payouts use case queues it
/// in the transaction that records the payout as sent; the payout id keeps it to one per payout.
package struct PayoutNotice: Sendable {
    package let payoutID: String
    package let organizerID: OrganizerID
    package let amount: Money
    /// The payout provider's name, as organizers know it ("PayPal", "Stripe").
    package let provider: String
    /// The payout covers the organizer's net balance up to this time.
    package let coversUntil: Timestamp

    package init(payoutID: String, organizerID: OrganizerID, amount: Money, provider: String, coversUntil: Timestamp) {
        self.payoutID = payoutID
        self.organizerID = organizerID
        self.amount = amount
        self.provider = provider
        self.coversUntil = coversUntil
    }

    package static func idempotencyKey(payout: String) -> String { "payout-notice-\(payout)" }

    /// Queues the notice to the organizer's email; false when this payout's notice is already queued.
    /// `organizer` is read when not given.
    @discardableResult
    package func enqueue(from platformAddress: String, to organizer: Organizer? = nil, at time: Timestamp, on sql: any SQLDatabase) async throws -> Bool {
        var found = organizer
        if found == nil { found = try await OrganizerRepository(sql).find(organizerID) }
        guard let organizer = found else { throw PlatformError.notFound("organizer") }
        return try await Outbox.enqueue(try notice(from: platformAddress, to: organizer), at: time, on: sql)
    }

    /// The notice to queue, for the payout's organizer.
    package func notice(from platformAddress: String, to organizer: Organizer) throws -> Notice {
        guard organizer.id == organizerID else { throw PlatformError.notFound("organizer") }
        let model: [String: Any] = [
            "organizer": ["name": organizer.name],
            "payout": ["id": payoutID, "amount": amount.description, "provider": provider, "until": Self.day(coversUntil)],
        ]
        let content = try MailContent(sender: MailAddress(email: platformAddress, name: "Payouts"), replyTo: nil, modelObject: model)
        return Notice(kind: .payoutNotice, organizer: organizerID, recipient: organizer.email, content: content,
                      idempotencyKey: Self.idempotencyKey(payout: payoutID))
    }

    /// "1 June 2026 (UTC)": payouts are cut on UTC days.
    static func day(_ time: Timestamp) -> String {
        Date(timeIntervalSince1970: Double(time.milliseconds) / 1000).formatted(dayStyle) + " (UTC)"
    }

    /// Made once: a run queues one notice per payout, thousands at a time.
    private static let dayStyle: Date.VerbatimFormatStyle = .init(
        format: "\(day: .defaultDigits) \(month: .wide) \(year: .defaultDigits)", locale: Locale(identifier: "en_GB"), timeZone: .gmt,
        calendar: Calendar(identifier: .gregorian))
}
