import Foundation
import PluginKit
import SQLKit

package struct OutboxRepository: Sendable {
    let sql: any SQLDatabase
    let engine: DatabaseEngine

    package init(_ sql: any SQLDatabase, engine: DatabaseEngine) {
        self.sql = sql
        self.engine = engine
    }

    static let columns: SQLQueryString = """
        id, kind, organizer_id, recipient, payload, idempotency_key, status, attempts, next_attempt_at, last_error, mailer,
        provider_message_id, created_at, sent_at
        """

    struct Row: Decodable {
        let id: String, kind: String, organizerId: String?, recipient: String, payload: String, idempotencyKey: String
        let status: String, attempts: Int, nextAttemptAt: Int64, lastError: String?, mailer: String?
        let providerMessageId: String?, createdAt: Int64, sentAt: Int64?

        enum CodingKeys: String, CodingKey {
            case id, kind, organizerId = "organizer_id", recipient, payload, idempotencyKey = "idempotency_key", status, attempts
            case nextAttemptAt = "next_attempt_at", lastError = "last_error", mailer, providerMessageId = "provider_message_id"
            case createdAt = "created_at", sentAt = "sent_at"
        }

        func message() throws -> OutboxMessage {
            OutboxMessage(id: try StoredValue.id(id), kind: try StoredValue.enum(kind), organizerID: try organizerId.map { try StoredValue.id($0) },
                          recipient: recipient, content: try JSONDecoder().decode(MailContent.self, from: Data(payload.utf8)),
                          idempotencyKey: idempotencyKey, status: try StoredValue.enum(status), attempts: attempts,
                          nextAttemptAt: Timestamp(milliseconds: nextAttemptAt), lastError: lastError, mailer: mailer,
                          providerMessageID: providerMessageId, createdAt: Timestamp(milliseconds: createdAt),
                          sentAt: StoredValue.timestamp(sentAt))
        }
    }

    private func load(_ query: SQLQueryString) async throws -> [OutboxMessage] {
        try await sql.raw(query).all(decoding: Row.self).map { try $0.message() }
    }

    typealias NewMessage = (id: MessageID, kind: MailKind, organizer: OrganizerID?, recipient: String, content: MailContent, key: String)

    /// Queues messages in one statement, each unless one with its idempotency key is already there.
    func insert(_ messages: [NewMessage], at time: Timestamp) async throws {
        guard !messages.isEmpty else { return }
        try await sql.raw(try Self.insertion(messages, at: time)).run()
    }

    /// Queues a message unless one with its idempotency key is already there; true when it is new.
    @discardableResult
    package func insert(id: MessageID, kind: MailKind, organizer: OrganizerID?, recipient: String, content: MailContent,
                       idempotencyKey: String, at time: Timestamp) async throws -> Bool {
        try await sql.raw(try Self.insertion([(id, kind, organizer, recipient, content, idempotencyKey)], at: time) + " RETURNING id")
            .first() != nil
    }

    /// The `INSERT` of the messages, skipping any whose idempotency key is queued already.
    private static func insertion(_ messages: [NewMessage], at time: Timestamp) throws -> SQLQueryString {
        let rows = try messages.map { try batchedInsert($0, at: time) }
        return BatchWrites.statement(rows[0].head, rows.map(\.row), rows[0].tail)
    }

    /// One message's row of the outbox's `INSERT`, which skips a message whose idempotency key is
    /// queued already.
    static func batchedInsert(_ message: NewMessage, at time: Timestamp) throws -> BatchedInsert {
        // Stored with Swift's own key names: the API's snake-case strategy would not read `contentID` back.
        let payload = String(decoding: try JSONEncoder().encode(message.content), as: UTF8.self)
        return BatchedInsert("""
            INSERT INTO outbox_messages (id, kind, organizer_id, recipient, payload, idempotency_key, status, attempts,
                                         next_attempt_at, created_at, updated_at)
            VALUES
            """, row: [message.id.rawValue, message.kind.rawValue, message.organizer?.rawValue, message.recipient, payload, message.key,
                       "queued", Int64(0), time.milliseconds, time.milliseconds, time.milliseconds],
            tail: "ON CONFLICT (idempotency_key) DO NOTHING")
    }

    /// Leases up to `limit` due messages (queued and due, or leased by a worker whose lease ran out)
    /// until `leaseUntil`, counting an attempt for each. On PostgreSQL concurrent dispatchers skip
    /// each other's rows; SQLite has one writer.
    package func claimDue(now: Timestamp, leaseUntil: Timestamp, limit: Int) async throws -> [OutboxMessage] {
        let lock: SQLQueryString = engine == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        return try await load("""
            UPDATE outbox_messages SET status = 'sending', lease_until = \(bind: leaseUntil.milliseconds), attempts = attempts + 1,
                updated_at = \(bind: now.milliseconds)
            WHERE id IN (
                SELECT id FROM outbox_messages
                WHERE status IN ('queued', 'sending')
                  AND ((status = 'queued' AND next_attempt_at <= \(bind: now.milliseconds))
                       OR (status = 'sending' AND lease_until <= \(bind: now.milliseconds)))
                ORDER BY next_attempt_at, id LIMIT \(bind: limit)\(lock))
            RETURNING \(Self.columns)
            """)
    }

    /// Records the provider's id; only while this lease holds the row.
    @discardableResult
    /// Marks a leased message sent. A kind whose model holds a credential (a sign-in link) keeps
    /// only an empty model afterwards: the database need not hold a live link once it is delivered.
    func markSent(_ id: MessageID, mailer: String, providerMessageID: String, at time: Timestamp) async throws -> Bool {
        try await sql.raw("""
            UPDATE outbox_messages SET status = 'sent', mailer = \(bind: mailer), provider_message_id = \(bind: providerMessageID),
                payload = CASE WHEN kind IN (\(binds: MailKind.allCases.filter(\.carriesCredential).map(\.rawValue)))
                    THEN \(bind: Self.redacted) ELSE payload END,
                sent_at = \(bind: time.milliseconds), lease_until = NULL, last_error = NULL, updated_at = \(bind: time.milliseconds)
            WHERE id = \(bind: id.rawValue) AND status = 'sending'
            RETURNING id
            """).first() != nil
    }

    /// A failed send: queued again for `retryAt`, or dead (`retryAt` nil) with the reason.
    func recordFailure(_ id: MessageID, error: String, retryAt: Timestamp?, at time: Timestamp) async throws {
        try await sql.raw("""
            UPDATE outbox_messages SET status = \(bind: retryAt == nil ? "dead" : "queued"),
                next_attempt_at = \(bind: retryAt?.milliseconds ?? time.milliseconds), lease_until = NULL,
                last_error = \(bind: String(error.prefix(1000))), updated_at = \(bind: time.milliseconds)
            WHERE id = \(bind: id.rawValue) AND status = 'sending'
            """).run()
    }

    package func find(_ id: MessageID) async throws -> OutboxMessage? {
        try await load("SELECT \(Self.columns) FROM outbox_messages WHERE id = \(bind: id.rawValue)").first
    }

    package func list(statuses: [OutboxStatus], after: MessageID?, limit: Int) async throws -> [OutboxMessage] {
        try await load("""
            SELECT \(Self.columns) FROM outbox_messages
            WHERE id > \(bind: after?.rawValue ?? "") AND status IN (\(binds: statuses.map(\.rawValue)))
            ORDER BY id LIMIT \(bind: limit)
            """)
    }

    /// Puts a dead message back in the queue with a fresh count of attempts, under the same
    /// idempotency key: a provider that did deliver it sends nothing again.
    func requeue(_ id: MessageID, at time: Timestamp) async throws -> Bool {
        try await sql.raw("""
            UPDATE outbox_messages SET status = 'queued', attempts = 0, next_attempt_at = \(bind: time.milliseconds),
                updated_at = \(bind: time.milliseconds)
            WHERE id = \(bind: id.rawValue) AND status = 'dead'
            RETURNING id
            """).first() != nil
    }

    /// Messages in `status`, of one organizer or of all.
    package func count(status: OutboxStatus, organizer: OrganizerID? = nil) async throws -> Int {
        struct Row: Decodable { let n: Int }
        var query: SQLQueryString = "SELECT COUNT(*) AS n FROM outbox_messages WHERE status = \(bind: status.rawValue)"
        if let organizer { query += " AND organizer_id = \(bind: organizer.rawValue)" }
        return try await sql.raw(query).first(decoding: Row.self)?.n ?? 0
    }

    /// What a credential-carrying message keeps once sent: no model, no images.
    static let redacted = #"{"images":[],"model":"{}","sender":{"email":"redacted@invalid"}}"#
}
