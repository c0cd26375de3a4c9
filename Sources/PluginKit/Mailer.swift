import Foundation

/// A sender or recipient: `Name <address>`.
public struct MailAddress: Sendable, Hashable, Codable {
    public let email: String
    public let name: String?

    public init(email: String, name: String? = nil) {
        self.email = email
        self.name = name
    }

    /// `"Name" <address>` with the name quoted, as RFC 5322 and Resend's `from` take it.
    public var formatted: String {
        guard let name, !name.isEmpty else { return email }
        let quoted = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(quoted)\" <\(email)>"
    }
}

/// A file sent with the message; with a `contentID` it is an inline image (`<img src="cid:ID">`).
public struct MailAttachment: Sendable, Hashable {
    public let filename: String
    public let contentType: String
    public let content: [UInt8]
    public let contentID: String?

    public init(filename: String, contentType: String, content: [UInt8], contentID: String? = nil) {
        self.filename = filename
        self.contentType = contentType
        self.content = content
        self.contentID = contentID
    }
}

/// One rendered email, ready for a mailer.
public struct MailMessage: Sendable, Hashable {
    public let from: MailAddress
    public let to: [String]
    public let replyTo: String?
    public let subject: String
    public let html: String
    public let text: String
    /// Name/value pairs a provider can report on (Resend `tags`).
    public let tags: [String: String]
    public let attachments: [MailAttachment]
    /// Stable across retries: a provider that saw it already sends nothing again.
    public let idempotencyKey: String

    public init(from: MailAddress, to: [String], replyTo: String?, subject: String, html: String, text: String,
                tags: [String: String] = [:], attachments: [MailAttachment] = [], idempotencyKey: String) {
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.html = html
        self.text = text
        self.tags = tags
        self.attachments = attachments
        self.idempotencyKey = idempotencyKey
    }
}

/// What the provider accepted the message as.
public struct MailReceipt: Sendable, Hashable {
    public let messageID: String
    public init(messageID: String) { self.messageID = messageID }
}

/// How a send failed, which decides what the outbox does next.
public enum MailError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Worth trying again later; `retryAfterSeconds` is the provider's own wish (a 429's retry-after).
    case retryable(String, retryAfterSeconds: Int64? = nil)
    /// Will never succeed (invalid address, rejected content): the message is dead at once.
    case permanent(String)

    public var description: String {
        switch self {
        case let .retryable(reason, after): after.map { "\(reason) (retry after \($0) s)" } ?? reason
        case let .permanent(reason): reason
        }
    }
}

/// Sends rendered mail. Plugins (Resend) and the file mailer implement it; `PlatformServer` picks one.
public protocol Mailer: Sendable {
    /// Recorded with each sent message ("resend", "file").
    var name: String { get }
    func send(_ message: MailMessage) async throws(MailError) -> MailReceipt
}

extension String {
    /// At most `maxLength` characters, each an ASCII letter, digit, `-` or `_` (others become `_`):
    /// safe as a file name, and as a provider's tag.
    public func mailIdentifier(maxLength: Int) -> String {
        String(unicodeScalars.prefix(maxLength).map { scalar in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "-" || scalar == "_") ? Character(scalar) : "_"
        })
    }
}
