import Foundation
import PluginKit

/// "My tickets" sign-in without passwords: a buyer asks for a link by email, the link works once
/// for 30 minutes and opens a buyer session that reads every order placed with that address.
package struct BuyerSignIn: Sendable {
    static let linkLifetimeMinutes: Int64 = 30
    static let sessionLifetimeMinutes: Int64 = 24 * 60
    /// Links one address is sent within `linkWindowMinutes`; further requests are answered alike and send nothing.
    static let linksPerWindow = 3
    static let linkWindowMinutes: Int64 = 15
    /// Orders a signed-in buyer sees, and whose existence makes an address worth a link.
    package static let visibleStatuses: [OrderStatus] = [.paid, .partiallyRefunded, .refunded]

    package let database: any Database
    package let clock: any WallClock
    package let baseURL: String
    package let mailFrom: String

    package init(database: any Database, clock: any WallClock, baseURL: String, mailFrom: String) {
        self.database = database
        self.clock = clock
        self.baseURL = baseURL
        self.mailFrom = mailFrom
    }

    /// What became of a request; callers answer every case alike so that nobody learns whether
    /// an address has orders.
    package enum LinkOutcome: Sendable, Equatable {
        case queued
        case noOrders
        case tooMany
    }

    package struct Session: Sendable {
        /// The session token, only when the session was just opened.
        package let token: String?
        package let email: String
        package let expiresAt: Timestamp
    }

    /// Queues a sign-in email in the transaction that stores the link.
    package func requestLink(email: String) async throws -> LinkOutcome {
        let address = BuyerEmail.normalized(email)
        let now = clock.now()
        return try await database.transaction { sql in
            let links = BuyerSessionRepository(sql)
            let recent = try await links.linkCount(email: address, after: now.adding(minutes: -Self.linkWindowMinutes))
            guard recent < Self.linksPerWindow else { return .tooMany }
            guard try await OrderRepository(sql).exists(email: address, statuses: Self.visibleStatuses) else {
                return .noOrders
            }
            let token = SecretToken.make(marker: "mtl_")
            let hash = SecretToken.hash(token)
            try await links.insertLink(tokenHash: hash, email: address, at: now, expiresAt: now.adding(minutes: Self.linkLifetimeMinutes))
            let model: [String: Any] = ["link": signInURL(token: token), "valid_minutes": Self.linkLifetimeMinutes, "email": email]
            let content = try MailContent(sender: MailAddress(email: mailFrom, name: "My tickets"), replyTo: nil, modelObject: model)
            try await Outbox.enqueue(Notice(kind: .magicLink, organizer: nil, recipient: email, content: content,
                                            idempotencyKey: "magic-link-\(hash.prefix(32))"), at: now, on: sql)
            try await AuditTrail.record("buyer.sign_in_link_sent", organizer: nil, subject: "email:\(address)",
                                        changes: .fields(["expires_at": (nil, now.adding(minutes: Self.linkLifetimeMinutes).rfc3339)]), at: now, on: sql)
            return .queued
        }
    }

    /// The page the emailed link opens; it asks for a click before it uses the token, so that a
    /// mail scanner's prefetch cannot spend it.
    func signInURL(token: String) -> String {
        "\(baseURL)/my-tickets/sign-in?token=\(token)"
    }

    /// Spends the link and opens a session; nil when the link is unknown, used or expired.
    package func signIn(linkToken: String) async throws -> Session? {
        let now = clock.now()
        return try await database.transaction { sql in
            let sessions = BuyerSessionRepository(sql)
            guard let email = try await sessions.consumeLink(tokenHash: SecretToken.hash(linkToken), at: now) else { return nil }
            let token = SecretToken.make(marker: "mts_")
            let expiry = now.adding(minutes: Self.sessionLifetimeMinutes)
            try await sessions.insertSession(tokenHash: SecretToken.hash(token), email: email, at: now, expiresAt: expiry)
            try await AuditTrail.record("buyer.signed_in", organizer: nil, subject: "email:\(email)",
                                        changes: .fields(["session_expires_at": (nil, expiry.rfc3339)]), at: now, on: sql)
            return Session(token: token, email: email, expiresAt: expiry)
        }
    }

    /// The open session of `token`, if any.
    package func session(token: String) async throws -> Session? {
        let now = clock.now()
        guard let found = try await database.read({ sql in
            try await BuyerSessionRepository(sql).session(tokenHash: SecretToken.hash(token), at: now)
        }) else { return nil }
        return Session(token: nil, email: found.email, expiresAt: found.expiresAt)
    }

    func signOut(token: String) async throws {
        let now = clock.now()
        try await database.transaction { sql in
            let sessions = BuyerSessionRepository(sql)
            guard let session = try await sessions.session(tokenHash: SecretToken.hash(token), at: now) else { return }
            try await sessions.deleteSession(tokenHash: SecretToken.hash(token))
            try await AuditTrail.record("buyer.signed_out", organizer: nil, subject: "email:\(session.email)", changes: .none, at: now, on: sql)
        }
    }
}
