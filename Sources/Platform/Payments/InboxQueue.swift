import PluginKit
import SQLKit

/// The webhook inbox as admins triage it: failed and dead rows, and ignored ones, may be replayed.
package struct InboxQueue: TriageQueue {
    package static let replayable = "dead, failed or ignored"

    package init() {}

    package func list(statuses: [InboxStatus], after: WebhookID?, limit: Int, on sql: any SQLDatabase) async throws -> [InboxRow] {
        try await WebhookInboxRepository(sql, engine: DatabaseEngine(of: sql)).list(statuses: statuses, after: after, limit: limit)
    }

    package func find(_ id: WebhookID, on sql: any SQLDatabase) async throws -> InboxRow? {
        try await WebhookInboxRepository(sql, engine: DatabaseEngine(of: sql)).find(id)
    }

    package func requeue(_ id: WebhookID, at time: Timestamp, on sql: any SQLDatabase) async throws -> Bool {
        try await WebhookInboxRepository(sql, engine: DatabaseEngine(of: sql)).requeue(id, at: time)
    }

    package func id(of row: InboxRow) -> WebhookID { row.id }
    package func status(of row: InboxRow) -> InboxStatus { row.status }
}
