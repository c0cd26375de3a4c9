import PluginKit
import SQLKit

/// The append-only audit log: inserted into, never changed (the database refuses).
package struct AuditLogRepository: Sendable {
    let sql: any SQLDatabase
    package init(_ sql: any SQLDatabase) { self.sql = sql }

    /// Inserts the entries; in an inbox batch (`BatchWrites`) they join the batch's insert.
    func insert(_ entries: [AuditEntry]) async throws {
        if BatchWrites.current != nil {
            for entry in entries { try await BatchWrites.insert(BatchedInsert(Self.head, row: Self.values(entry)), on: sql) }
            return
        }
        for chunk in entries.chunks(of: Self.chunk) { try await sql.raw(Self.insertion(chunk)).run() }
    }

    /// Inserts the entries and reads the enabled webhook endpoints of `organizers`: on PostgreSQL
    /// in one statement (a data-modifying CTE), so that a change that may publish an event costs
    /// one round trip more than the change, not two; elsewhere one after the other. In an inbox
    /// batch the entries join the batch's insert and the endpoints are read once per batch.
    func insert(_ entries: [AuditEntry], readingEndpointsOf organizers: [OrganizerID]) async throws -> [WebhookEndpoint] {
        if BatchWrites.current != nil {
            try await insert(entries)
            return try await BatchReads.value("webhook-endpoints:" + organizers.map(\.rawValue).joined(separator: ",")) {
                try await WebhookEndpointRepository(sql).enabled(organizers: organizers)
            }
        }
        guard DatabaseEngine(of: sql) == .postgres, entries.count <= Self.chunk, organizers.count <= Self.chunk else {
            try await insert(entries)
            return try await WebhookEndpointRepository(sql).enabled(organizers: organizers)
        }
        if entries.count == 1, organizers.count == 1 {
            // One change of one organizer (every order's): the same statement, prepared.
            return try await sql.execute(AuditAndReadEndpoints(entry: entries[0], organizer: organizers[0].rawValue)).map { try $0.endpoint() }
        }
        return try await sql.raw("""
            WITH audited AS (\(Self.insertion(entries)))
            SELECT * FROM webhook_endpoints WHERE organizer_id IN (\(binds: organizers.map(\.rawValue))) AND status = 'enabled' ORDER BY id
            """).all(decoding: WebhookEndpointRepository.Row.self, keyDecodingStrategy: .snakeCaseColumns).map { try $0.endpoint() }
    }

    private static let chunk = 500

    private static let head = """
        INSERT INTO audit_log (id, organizer_id, actor_kind, actor_id, action, subject_id, order_id, event_id, changes, request_id, created_at) \
        VALUES
        """

    private static func values(_ entry: AuditEntry) -> [any Encodable & Sendable] {
        [entry.id.rawValue, entry.organizerID?.rawValue, entry.actor.kind, entry.actor.id, entry.action, entry.subjectID,
         entry.orderID?.rawValue, entry.eventID?.rawValue, entry.changes, entry.requestID, entry.createdAt.milliseconds]
    }

    private static func insertion(_ entries: [AuditEntry]) -> SQLQueryString {
        BatchWrites.statement(head, entries.map(values), "")
    }

    /// Entries matching `filter`, newest first (oldest first with `ascending`), after the cursor.
    package func list(_ filter: AuditFilter, after: AuditEntryID?, limit: Int, ascending: Bool = false) async throws -> [AuditEntry] {
        struct Row: Decodable {
            let id: String, organizerId: String?, actorKind: String, actorId: String?, action: String, subjectId: String
            let orderId: String?, eventId: String?, changes: String, requestId: String?, createdAt: Int64
        }
        var conditions: SQLQueryString = "1 = 1"
        if let organizer = filter.organizerID { conditions += " AND organizer_id = \(bind: organizer.rawValue)" }
        if let subject = filter.subjectID { conditions += " AND subject_id = \(bind: subject)" }
        if let order = filter.orderID { conditions += " AND order_id = \(bind: order.rawValue)" }
        if let event = filter.eventID { conditions += " AND event_id = \(bind: event.rawValue)" }
        if let kind = filter.actorKind { conditions += " AND actor_kind = \(bind: kind)" }
        if let actor = filter.actorID { conditions += " AND actor_id = \(bind: actor)" }
        if !filter.actions.isEmpty { conditions += " AND action IN (\(binds: filter.actions))" }
        if let from = filter.from { conditions += " AND created_at >= \(bind: from.milliseconds)" }
        if let to = filter.to { conditions += " AND created_at < \(bind: to.milliseconds)" }
        if let after { conditions += ascending ? " AND id > \(bind: after.rawValue)" : " AND id < \(bind: after.rawValue)" }
        let query: SQLQueryString = """
            SELECT * FROM audit_log WHERE \(conditions) \
            ORDER BY id \(unsafeRaw: ascending ? "ASC" : "DESC") LIMIT \(bind: limit)
            """
        return try await sql.raw(query).all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns).map { row in
            AuditEntry(id: try StoredValue.id(row.id), organizerID: try row.organizerId.map(StoredValue.id),
                       actor: AuditActor(kind: row.actorKind, id: row.actorId), action: row.action, subjectID: row.subjectId,
                       orderID: try row.orderId.map(StoredValue.id), eventID: try row.eventId.map(StoredValue.id), changes: row.changes,
                       requestID: row.requestId, createdAt: Timestamp(milliseconds: row.createdAt))
        }
    }
}

private struct AuditAndReadEndpoints: PreparedStatement {
    static let name = "platform_audit_and_read_endpoints"
    static let sql = """
        WITH audited AS (
            INSERT INTO audit_log (id, organizer_id, actor_kind, actor_id, action, subject_id, order_id, event_id, changes, request_id, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11))
        SELECT id, organizer_id, url, description, events, status, disabled_reason, failing_since, created_at, updated_at,
               secret, previous_secret, previous_secret_expires_at
        FROM webhook_endpoints WHERE organizer_id = $12 AND status = 'enabled' ORDER BY id
        """
    let entry: AuditEntry, organizer: String
    var values: [StatementValue] {
        [.text(entry.id.rawValue), .text(entry.organizerID?.rawValue), .text(entry.actor.kind), .text(entry.actor.id), .text(entry.action),
         .text(entry.subjectID), .text(entry.orderID?.rawValue), .text(entry.eventID?.rawValue), .text(entry.changes), .text(entry.requestID),
         .integer(entry.createdAt.milliseconds), .text(organizer)]
    }

    static func row(_ columns: inout StatementColumns) throws -> WebhookEndpointRepository.Row {
        WebhookEndpointRepository.Row(
            id: try columns.text(), organizerId: try columns.text(), url: try columns.text(), description: try columns.optionalText(),
            events: try columns.text(), status: try columns.text(), disabledReason: try columns.optionalText(),
            failingSince: try columns.optionalInteger(), createdAt: try columns.integer(), updatedAt: try columns.integer(),
            secret: try columns.text(), previousSecret: try columns.optionalText(), previousSecretExpiresAt: try columns.optionalInteger())
    }
}
