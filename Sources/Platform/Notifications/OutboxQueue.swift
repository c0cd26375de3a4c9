import PluginKit
import SQLKit

/// The mail outbox as admins triage it: dead messages may be replayed, under the same idempotency key.
package struct OutboxQueue: TriageQueue {
    package static let replayable = "dead"

    package init() {}

    package func list(statuses: [OutboxStatus], after: MessageID?, limit: Int, on sql: any SQLDatabase) async throws -> [OutboxMessage] {
        try await OutboxRepository(sql, engine: DatabaseEngine(of: sql)).list(statuses: statuses, after: after, limit: limit)
    }

    package func find(_ id: MessageID, on sql: any SQLDatabase) async throws -> OutboxMessage? {
        try await OutboxRepository(sql, engine: DatabaseEngine(of: sql)).find(id)
    }

    package func requeue(_ id: MessageID, at time: Timestamp, on sql: any SQLDatabase) async throws -> Bool {
        try await OutboxRepository(sql, engine: DatabaseEngine(of: sql)).requeue(id, at: time)
    }

    package func id(of row: OutboxMessage) -> MessageID { row.id }
    package func status(of row: OutboxMessage) -> OutboxStatus { row.status }
}
