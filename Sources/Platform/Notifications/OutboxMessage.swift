import Foundation
import PluginKit

/// Which email a row is: each kind has its templates in `templates/email/`.
public enum MailKind: String, Sendable, Codable, CaseIterable {
    case orderConfirmation = "order_confirmation"
    case refundNotice = "refund_notice"
    case magicLink = "magic_link"
    case payoutNotice = "payout_notice"

    /// The model holds a secret (a sign-in link) that should not outlive the delivery.
    public var carriesCredential: Bool { self == .magicLink }
}

public enum OutboxStatus: String, Sendable, Codable, CaseIterable {
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
public struct InlineImage: Sendable, Hashable, Codable {
    public let contentID: String
    public let filename: String
    public let renderer: String
    public let value: String

    public init(contentID: String, filename: String, renderer: String, value: String) {
        self.contentID = contentID
        self.filename = filename
        self.renderer = renderer
        self.value = value
    }
}

/// What a queued email says, captured in the transaction that causes it: the sender, the template
/// model (a JSON object the templates read) and the inline images.
public struct MailContent: Sendable, Hashable, Codable {
    public let sender: MailAddress
    public let replyTo: String?
    /// JSON object text: the Mustache model.
    public let model: String
    public let images: [InlineImage]

    public init(sender: MailAddress, replyTo: String?, model: String, images: [InlineImage] = []) {
        self.sender = sender
        self.replyTo = replyTo
        self.model = model
        self.images = images
    }

    /// With the model given as a JSON object (dictionaries, arrays, strings, numbers), stored with sorted keys.
    public init(sender: MailAddress, replyTo: String?, modelObject: [String: Any], images: [InlineImage] = []) throws {
        let json = try JSONSerialization.data(withJSONObject: modelObject, options: [.sortedKeys])
        self.init(sender: sender, replyTo: replyTo, model: String(decoding: json, as: UTF8.self), images: images)
    }
}

public struct OutboxMessage: Sendable, Hashable {
    public let id: MessageID
    public let kind: MailKind
    public let organizerID: OrganizerID?
    public let recipient: String
    public let content: MailContent
    public let idempotencyKey: String
    public let status: OutboxStatus
    public let attempts: Int
    public let nextAttemptAt: Timestamp
    public let lastError: String?
    public let mailer: String?
    public let providerMessageID: String?
    public let createdAt: Timestamp
    public let sentAt: Timestamp?
}
