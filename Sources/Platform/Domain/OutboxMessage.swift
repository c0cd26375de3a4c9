import Foundation
import PluginKit

/// Which email a row is: each kind has its templates in `templates/email/`.
package enum MailKind: String, Sendable, Codable, CaseIterable {
    case orderConfirmation = "order_confirmation"
    case refundNotice = "refund_notice"
    case magicLink = "magic_link"
    case payoutNotice = "payout_notice"
    case payoutMethodChanged = "payout_method_changed"
    case webhookEndpointDisabled = "webhook_endpoint_disabled"
    case memberInvitation = "member_invitation"
    case passwordReset = "password_reset"

    /// The model holds a secret (a sign-in, invitation or reset link) that should not outlive the delivery.
    var carriesCredential: Bool { self == .magicLink || self == .memberInvitation || self == .passwordReset }
}

package enum OutboxStatus: String, Sendable, Codable, CaseIterable {
    /// Due at `nextAttemptAt` (new, or waiting to retry).
    case queued
    /// Leased by a dispatcher until `leaseUntil`.
    case sending
    case sent
    /// Failed permanently or too often; an admin can replay it.
    case dead
}

/// An image the composer renders when the message is sent, not when it is queued: a ticket's QR
/// code is drawn from its token by the module that registered the `renderer`.
package struct InlineImage: Sendable, Hashable, Codable {
    /// What the HTML refers to (`cid:`); empty for a file attached rather than shown (a calendar file).
    package let contentID: String
    package let filename: String
    package let renderer: String
    package let value: String

    package init(contentID: String, filename: String, renderer: String, value: String) {
        self.contentID = contentID
        self.filename = filename
        self.renderer = renderer
        self.value = value
    }
}

/// What a queued email says, captured in the transaction that causes it: the sender, the template
/// model (a JSON object the templates read) and the inline images.
package struct MailContent: Sendable, Hashable, Codable {
    package let sender: MailAddress
    package let replyTo: String?
    /// JSON object text: the Mustache model.
    package let model: String
    package let images: [InlineImage]

    package init(sender: MailAddress, replyTo: String?, model: String, images: [InlineImage] = []) {
        self.sender = sender
        self.replyTo = replyTo
        self.model = model
        self.images = images
    }

    /// With the model given as a JSON object (dictionaries, arrays, strings, numbers), stored with sorted keys.
    package init(sender: MailAddress, replyTo: String?, modelObject: [String: Any], images: [InlineImage] = []) throws {
        let json = try JSONSerialization.data(withJSONObject: modelObject, options: [.sortedKeys])
        self.init(sender: sender, replyTo: replyTo, model: String(decoding: json, as: UTF8.self), images: images)
    }

    /// With the model given as a value that encodes to a JSON object, stored with sorted keys. Cheaper than
    /// `modelObject`, which bridges every value through `NSDictionary`: the path of every paid order's email.
    package init(sender: MailAddress, replyTo: String?, modelValue: some Encodable, images: [InlineImage] = []) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        self.init(sender: sender, replyTo: replyTo, model: String(decoding: try encoder.encode(modelValue), as: UTF8.self), images: images)
    }
}

package struct OutboxMessage: Sendable, Hashable {
    package let id: MessageID
    package let kind: MailKind
    package let organizerID: OrganizerID?
    package let recipient: String
    package let content: MailContent
    package let idempotencyKey: String
    package let status: OutboxStatus
    package let attempts: Int
    package let nextAttemptAt: Timestamp
    package let lastError: String?
    package let mailer: String?
    package let providerMessageID: String?
    package let createdAt: Timestamp
    package let sentAt: Timestamp?
}
