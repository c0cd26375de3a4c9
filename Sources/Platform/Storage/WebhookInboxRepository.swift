import PluginKit
import SQLKit

package enum InboxStatus: String, Sendable, Codable, CaseIterable {
    case pending, processed, ignored, failed, dead
}

package struct InboxRow: Sendable, Hashable {
    package let id: WebhookID
    package let provider: String
    package let eventID: String
    package let eventType: String
    package let payload: String
    package let status: InboxStatus
    package let attempts: Int
    package let nextAttemptAt: Timestamp
    package let lastError: String?
    let receivedAt: Timestamp
    let processedAt: Timestamp?

    package var envelope: WebhookEnvelope { WebhookEnvelope(eventID: eventID, eventType: eventType, payload: payload) }
}

struct WebhookInboxRepository: Sendable {
    let sql: any SQLDatabase
    let engine: DatabaseEngine
    package init(_ sql: any SQLDatabase, engine: DatabaseEngine) {
        self.sql = sql
        self.engine = engine
    }

    struct Row: Decodable {
        let id: String, provider: String, eventId: String, eventType: String, payload: String, status: String, attempts: Int
        let nextAttemptAt: Int64, lastError: String?, receivedAt: Int64, processedAt: Int64?

        func inboxRow() throws -> InboxRow {
            InboxRow(id: try StoredValue.id(id), provider: provider, eventID: eventId, eventType: eventType, payload: payload,
                     status: try StoredValue.enum(status), attempts: attempts, nextAttemptAt: Timestamp(milliseconds: nextAttemptAt),
                     lastError: lastError, receivedAt: Timestamp(milliseconds: receivedAt), processedAt: StoredValue.timestamp(processedAt))
        }
    }

    /// Stores the event unless (provider, event id) is already there; true when it is new.
    package func insert(id: WebhookID, provider: String, envelope: WebhookEnvelope, status: InboxStatus, at time: Timestamp) async throws -> Bool {
        try await sql.raw("""
            INSERT INTO webhook_inbox (id, provider, event_id, event_type, payload, status, attempts, next_attempt_at, received_at)
            VALUES (\(bind: id.rawValue), \(bind: provider), \(bind: envelope.eventID), \(bind: envelope.eventType),
                    \(bind: envelope.payload), \(bind: status.rawValue), 0, \(bind: time.milliseconds), \(bind: time.milliseconds))
            ON CONFLICT (provider, event_id) DO NOTHING RETURNING id
            """).first() != nil
    }

    /// The oldest due rows, at most `limit`, locked for this transaction; on PostgreSQL other
    /// workers skip them.
    package func claimDue(now: Timestamp, limit: Int) async throws -> [InboxRow] {
        let lock = engine == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        return try await sql.raw("""
            SELECT * FROM webhook_inbox WHERE status IN ('pending', 'failed') AND next_attempt_at <= \(bind: now.milliseconds)
            ORDER BY next_attempt_at, id LIMIT \(bind: limit)\(unsafeRaw: lock)
            """).all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns).map { try $0.inboxRow() }
    }

    package func finish(_ id: WebhookID, status: InboxStatus, error: String? = nil, at time: Timestamp) async throws {
        try await sql.raw("""
            UPDATE webhook_inbox SET status = \(bind: status.rawValue), processed_at = \(bind: time.milliseconds),
                last_error = \(bind: error), attempts = attempts + 1
            WHERE id = \(bind: id.rawValue)
            """).run()
    }

    /// Marks the rows processed, with one attempt counted each: one statement for a batch's rows.
    func finishProcessed(_ ids: [WebhookID], at time: Timestamp) async throws {
        guard let last = ids.last else { return }
        // The list padded to a power of two with its last id (a repeat changes nothing): each length
        // is a prepared statement on PostgreSQL, so a batch of 16 has five texts rather than sixteen.
        let padded = ids.map(\.rawValue) + Array(repeating: last.rawValue, count: (1 << (Int.bitWidth - (ids.count - 1).leadingZeroBitCount)) - ids.count)
        try await sql.raw("""
            UPDATE webhook_inbox SET status = 'processed', processed_at = \(bind: time.milliseconds), last_error = NULL,
                attempts = attempts + 1
            WHERE id IN (\(binds: padded))
            """).run()
    }

    /// Leaves a claimed row pending until `time` without counting an attempt (its capture is running).
    func postpone(_ id: WebhookID, until time: Timestamp) async throws {
        try await sql.raw("UPDATE webhook_inbox SET next_attempt_at = \(bind: time.milliseconds) WHERE id = \(bind: id.rawValue)").run()
    }

    /// Counts a failed attempt: retried at `retryAt`, or dead once `maxAttempts` is reached. A row
    /// another worker finished meanwhile (its capture lease ran out) stays as that worker left it.
    func recordFailure(_ id: WebhookID, error: String, retryAt: Timestamp, maxAttempts: Int) async throws {
        try await sql.raw("""
            UPDATE webhook_inbox SET attempts = attempts + 1, last_error = \(bind: String(error.prefix(1000))),
                status = CASE WHEN attempts + 1 >= \(bind: maxAttempts) THEN 'dead' ELSE 'failed' END,
                next_attempt_at = \(bind: retryAt.milliseconds)
            WHERE id = \(bind: id.rawValue) AND status IN ('pending', 'failed')
            """).run()
    }

    package func find(_ id: WebhookID) async throws -> InboxRow? {
        try await sql.raw("SELECT * FROM webhook_inbox WHERE id = \(bind: id.rawValue)")
            .first(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns)?.inboxRow()
    }

    package func list(statuses: [InboxStatus], after: WebhookID?, limit: Int) async throws -> [InboxRow] {
        try await sql.select().column(SQLLiteral.all).from("webhook_inbox")
            .where("status", .in, statuses.map(\.rawValue)).where("id", .greaterThan, after?.rawValue ?? "")
            .orderBy("id").limit(limit)
            .all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns).map { try $0.inboxRow() }
    }

    /// Deletes processed and ignored rows received before `cutoff`; dead and failed rows stay for admins.
    /// A provider redelivering an event after that would store it again, so the retention must
    /// outlast every provider's redelivery window.
    @discardableResult
    func purge(receivedBefore cutoff: Timestamp) async throws -> Int {
        struct Row: Decodable { let id: String }
        return try await sql.raw("""
            DELETE FROM webhook_inbox WHERE status IN ('processed', 'ignored') AND received_at < \(bind: cutoff.milliseconds)
            RETURNING id
            """).all(decoding: Row.self).count
    }

    /// Puts a dead, failed or ignored row back in the queue with a fresh count of attempts.
    func requeue(_ id: WebhookID, at time: Timestamp) async throws -> Bool {
        try await sql.raw("""
            UPDATE webhook_inbox SET status = 'pending', attempts = 0, next_attempt_at = \(bind: time.milliseconds), last_error = NULL
            WHERE id = \(bind: id.rawValue) AND status IN ('dead', 'failed', 'ignored') RETURNING id
            """).first() != nil
    }
}
