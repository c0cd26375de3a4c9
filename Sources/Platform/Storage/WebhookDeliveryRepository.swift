import PluginKit
import SQLKit

/// Deliveries of outgoing webhooks: an outbox of (event, endpoint) rows and their attempts.
package struct WebhookDeliveryRepository: Sendable {
    let sql: any SQLDatabase
    package init(_ sql: any SQLDatabase) { self.sql = sql }

    static let columns: SQLQueryString = """
        id, event_id, endpoint_id, organizer_id, type, subject_id, payload, status, attempts, next_attempt_at, last_status, last_error,
        created_at, delivered_at
        """

    struct Row: Decodable {
        let id: String, eventId: String, endpointId: String, organizerId: String, type: String, subjectId: String, payload: String
        let status: String, attempts: Int, nextAttemptAt: Int64, lastStatus: Int?, lastError: String?, createdAt: Int64, deliveredAt: Int64?

        func delivery() throws -> OutgoingDelivery {
            OutgoingDelivery(id: try StoredValue.id(id), eventID: try StoredValue.id(eventId), endpointID: try StoredValue.id(endpointId),
                            organizerID: try StoredValue.id(organizerId), type: try StoredValue.enum(type), subjectID: subjectId,
                            payload: payload, status: try StoredValue.enum(status), attempts: attempts,
                            nextAttemptAt: Timestamp(milliseconds: nextAttemptAt), lastStatus: lastStatus, lastError: lastError,
                            createdAt: Timestamp(milliseconds: createdAt), deliveredAt: StoredValue.timestamp(deliveredAt))
        }
    }

    private func load(_ query: SQLQueryString) async throws -> [OutgoingDelivery] {
        try await sql.raw(query).all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns).map { try $0.delivery() }
    }

    struct NewDelivery {
        let id: WebhookDeliveryID, event: WebhookEventID, endpoint: WebhookEndpointID, organizer: OrganizerID, type: WebhookEventType
        let subject: String, payload: String
    }

    func insert(_ deliveries: [NewDelivery], at time: Timestamp) async throws {
        for chunk in deliveries.chunks(of: 500) {
            var query: SQLQueryString = """
                INSERT INTO webhook_deliveries (id, event_id, endpoint_id, organizer_id, type, subject_id, payload, status, attempts,
                                                next_attempt_at, created_at)
                VALUES
                """
            for (index, delivery) in chunk.enumerated() {
                query += index == 0 ? " " : ", "
                query += """
                    (\(bind: delivery.id.rawValue), \(bind: delivery.event.rawValue), \(bind: delivery.endpoint.rawValue), \
                    \(bind: delivery.organizer.rawValue), \(bind: delivery.type.rawValue), \(bind: delivery.subject), \(bind: delivery.payload), \
                    'pending', 0, \(bind: time.milliseconds), \(bind: time.milliseconds))
                    """
            }
            try await sql.raw(query).run()
        }
    }

    /// Leases up to `limit` due deliveries (pending and due, or leased by a sender whose lease ran
    /// out) until `leaseUntil`, counting an attempt for each, oldest first. On PostgreSQL concurrent
    /// senders skip each other's rows; SQLite has one writer.
    func claimDue(now: Timestamp, leaseUntil: Timestamp, limit: Int) async throws -> [OutgoingDelivery] {
        let lock: SQLQueryString = DatabaseEngine(of: sql) == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        return try await load("""
            UPDATE webhook_deliveries SET status = 'sending', lease_until = \(bind: leaseUntil.milliseconds), attempts = attempts + 1
            WHERE id IN (
                SELECT id FROM webhook_deliveries
                WHERE status IN ('pending', 'sending')
                  AND ((status = 'pending' AND next_attempt_at <= \(bind: now.milliseconds))
                       OR (status = 'sending' AND lease_until <= \(bind: now.milliseconds)))
                ORDER BY next_attempt_at, id LIMIT \(bind: limit)\(lock))
            RETURNING \(Self.columns)
            """).sorted { $0.id < $1.id }
    }

    /// Records an attempt and the delivery's next state: delivered, pending again at `retryAt`, or
    /// failed (`retryAt` nil). Only while the row is leased for this attempt: a sender whose lease
    /// ran out and whose row was claimed again (counting another attempt) changes nothing.
    func record(_ delivery: OutgoingDelivery, attempt: WebhookAttempt, delivered: Bool, retryAt: Timestamp?, at time: Timestamp) async throws {
        // Nothing to record for a delivery deleted with its endpoint meanwhile.
        try await sql.raw("""
            INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, response_body)
            SELECT id, \(bind: attempt.attempt), \(bind: attempt.startedAt.milliseconds), \(bind: attempt.durationMilliseconds), \
            \(bind: attempt.statusCode), \(bind: attempt.error.map { String($0.prefix(1000)) }), \(bind: attempt.responseBody)
            FROM webhook_deliveries WHERE id = \(bind: delivery.id.rawValue)
            ON CONFLICT (delivery_id, attempt) DO NOTHING
            """).run()
        let status: WebhookDeliveryStatus = delivered ? .delivered : (retryAt == nil ? .failed : .pending)
        try await sql.raw("""
            UPDATE webhook_deliveries SET status = \(bind: status.rawValue), lease_until = NULL,
                next_attempt_at = \(bind: (retryAt ?? time).milliseconds), last_status = \(bind: attempt.statusCode),
                last_error = \(bind: attempt.error.map { String($0.prefix(1000)) }),
                delivered_at = \(bind: delivered ? time.milliseconds : nil)
            WHERE id = \(bind: delivery.id.rawValue) AND status = 'sending' AND attempts = \(bind: delivery.attempts)
            """).run()
    }

    /// Deletes delivered and given-up deliveries (with their attempts) of events before `cutoff`.
    func purge(finishedBefore cutoff: Timestamp) async throws {
        let finished: SQLQueryString = """
            SELECT id FROM webhook_deliveries WHERE status IN ('delivered', 'failed') AND created_at < \(bind: cutoff.milliseconds)
            """
        try await sql.raw("DELETE FROM webhook_attempts WHERE delivery_id IN (\(finished))").run()
        try await sql.raw("DELETE FROM webhook_deliveries WHERE id IN (\(finished))").run()
    }

    /// Gives up every delivery of a disabled endpoint that is still waiting.
    func failWaiting(endpoint: WebhookEndpointID, reason: String) async throws {
        try await sql.raw("""
            UPDATE webhook_deliveries SET status = 'failed', lease_until = NULL, last_error = \(bind: reason)
            WHERE endpoint_id = \(bind: endpoint.rawValue) AND status IN ('pending', 'sending')
            """).run()
    }

    /// Queues a delivery for another attempt now, whatever its state; false when it is not the organizer's.
    func resend(_ id: WebhookDeliveryID, organizer: OrganizerID, at time: Timestamp) async throws -> Bool {
        try await sql.raw("""
            UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = \(bind: time.milliseconds), lease_until = NULL
            WHERE id = \(bind: id.rawValue) AND organizer_id = \(bind: organizer.rawValue) AND status <> 'sending'
            RETURNING id
            """).first() != nil
    }

    package func find(_ id: WebhookDeliveryID, organizer: OrganizerID) async throws -> OutgoingDelivery? {
        try await load("""
            SELECT \(Self.columns) FROM webhook_deliveries WHERE id = \(bind: id.rawValue) AND organizer_id = \(bind: organizer.rawValue)
            """).first
    }

    /// The organizer's deliveries, newest first, of one endpoint and in some statuses when given.
    package func list(organizer: OrganizerID, endpoint: WebhookEndpointID?, statuses: [WebhookDeliveryStatus], after: WebhookDeliveryID?,
                      limit: Int) async throws -> [OutgoingDelivery] {
        var query: SQLQueryString = "SELECT \(Self.columns) FROM webhook_deliveries WHERE organizer_id = \(bind: organizer.rawValue)"
        if let endpoint { query += " AND endpoint_id = \(bind: endpoint.rawValue)" }
        if !statuses.isEmpty { query += " AND status IN (\(binds: statuses.map(\.rawValue)))" }
        if let after { query += " AND id < \(bind: after.rawValue)" }
        return try await load(query + " ORDER BY id DESC LIMIT \(bind: limit)")
    }

    package func attempts(of id: WebhookDeliveryID) async throws -> [WebhookAttempt] {
        struct Row: Decodable {
            let attempt: Int, startedAt: Int64, durationMs: Int64, statusCode: Int?, error: String?, responseBody: String?
        }
        return try await sql.raw("""
            SELECT attempt, started_at, duration_ms, status_code, error, response_body FROM webhook_attempts
            WHERE delivery_id = \(bind: id.rawValue) ORDER BY attempt
            """).all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns).map {
                WebhookAttempt(attempt: $0.attempt, startedAt: Timestamp(milliseconds: $0.startedAt), durationMilliseconds: $0.durationMs,
                               statusCode: $0.statusCode, error: $0.error, responseBody: $0.responseBody)
            }
    }
}
