import PluginKit
import SQLKit

/// An organizer's webhook endpoints; every read and write is scoped by the organizer.
package struct WebhookEndpointRepository: Sendable {
    let sql: any SQLDatabase
    package init(_ sql: any SQLDatabase) { self.sql = sql }

    struct Row: Decodable {
        let id: String, organizerId: String, url: String, description: String?, events: String, status: String
        let disabledReason: String?, failingSince: Int64?, createdAt: Int64, updatedAt: Int64
        let secret: String, previousSecret: String?, previousSecretExpiresAt: Int64?

        func endpoint() throws -> WebhookEndpoint {
            WebhookEndpoint(id: try StoredValue.id(id), organizerID: try StoredValue.id(organizerId), url: url, description: description,
                            events: try events.split(separator: ",").map { try StoredValue.enum(String($0)) },
                            status: try StoredValue.enum(status), disabledReason: disabledReason,
                            failingSince: StoredValue.timestamp(failingSince), createdAt: Timestamp(milliseconds: createdAt),
                            updatedAt: Timestamp(milliseconds: updatedAt))
        }

        var secrets: WebhookSecrets {
            WebhookSecrets(current: secret, previous: previousSecret, previousExpiresAt: StoredValue.timestamp(previousSecretExpiresAt))
        }
    }

    /// The stored form of a list of types: between commas, so that `LIKE '%,type,%'` finds one.
    static func stored(_ events: [WebhookEventType]) -> String { "," + events.map(\.rawValue).joined(separator: ",") + "," }

    func insert(_ endpoint: WebhookEndpoint, secret: String) async throws {
        try await sql.raw("""
            INSERT INTO webhook_endpoints (id, organizer_id, url, description, events, secret, status, created_at, updated_at)
            VALUES (\(bind: endpoint.id.rawValue), \(bind: endpoint.organizerID.rawValue), \(bind: endpoint.url), \(bind: endpoint.description),
                    \(bind: Self.stored(endpoint.events)), \(bind: secret), \(bind: endpoint.status.rawValue),
                    \(bind: endpoint.createdAt.milliseconds), \(bind: endpoint.updatedAt.milliseconds))
            """).run()
    }

    func update(_ endpoint: WebhookEndpoint) async throws {
        try await sql.raw("""
            UPDATE webhook_endpoints SET url = \(bind: endpoint.url), description = \(bind: endpoint.description),
                events = \(bind: Self.stored(endpoint.events)), status = \(bind: endpoint.status.rawValue),
                disabled_reason = \(bind: endpoint.disabledReason), failing_since = \(bind: endpoint.failingSince?.milliseconds),
                updated_at = \(bind: endpoint.updatedAt.milliseconds)
            WHERE id = \(bind: endpoint.id.rawValue) AND organizer_id = \(bind: endpoint.organizerID.rawValue)
            """).run()
    }

    /// Makes `secret` current; the old one keeps signing until `overlapUntil`.
    func rotate(_ id: WebhookEndpointID, organizer: OrganizerID, to secret: String, overlapUntil: Timestamp, at time: Timestamp) async throws {
        try await sql.raw("""
            UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = \(bind: overlapUntil.milliseconds),
                secret = \(bind: secret), updated_at = \(bind: time.milliseconds)
            WHERE id = \(bind: id.rawValue) AND organizer_id = \(bind: organizer.rawValue)
            """).run()
    }

    func delete(_ id: WebhookEndpointID, organizer: OrganizerID) async throws {
        try await sql.raw("""
            DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE endpoint_id = \(bind: id.rawValue))
            """).run()
        try await sql.raw("DELETE FROM webhook_deliveries WHERE endpoint_id = \(bind: id.rawValue)").run()
        try await sql.raw("DELETE FROM webhook_endpoints WHERE id = \(bind: id.rawValue) AND organizer_id = \(bind: organizer.rawValue)").run()
    }

    package func find(_ id: WebhookEndpointID, organizer: OrganizerID) async throws -> WebhookEndpoint? {
        try await sql.raw("SELECT * FROM webhook_endpoints WHERE id = \(bind: id.rawValue) AND organizer_id = \(bind: organizer.rawValue)")
            .first(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns)?.endpoint()
    }

    /// The endpoint with its signing secrets, for the sender.
    func withSecrets(_ id: WebhookEndpointID) async throws -> (WebhookEndpoint, WebhookSecrets)? {
        guard let row = try await sql.raw("SELECT * FROM webhook_endpoints WHERE id = \(bind: id.rawValue)")
            .first(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns) else { return nil }
        return (try row.endpoint(), row.secrets)
    }

    func list(organizer: OrganizerID, after: WebhookEndpointID?, limit: Int) async throws -> [WebhookEndpoint] {
        try await sql.raw("""
            SELECT * FROM webhook_endpoints WHERE organizer_id = \(bind: organizer.rawValue) AND id > \(bind: after?.rawValue ?? "")
            ORDER BY id LIMIT \(bind: limit)
            """).all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns).map { try $0.endpoint() }
    }

    /// The enabled endpoints of these organizers.
    func enabled(organizers: [OrganizerID]) async throws -> [WebhookEndpoint] {
        var found: [WebhookEndpoint] = []
        for chunk in organizers.sorted().chunks(of: 500) {
            found += try await sql.raw("""
                SELECT * FROM webhook_endpoints WHERE organizer_id IN (\(binds: chunk.map(\.rawValue))) AND status = 'enabled' ORDER BY id
                """).all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns).map { try $0.endpoint() }
        }
        return found
    }

    /// Records the outcome of an attempt: a success clears `failing_since`, a failure sets it once.
    func recordAttempt(_ id: WebhookEndpointID, succeeded: Bool, at time: Timestamp) async throws {
        if succeeded {
            try await sql.raw("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = \(bind: id.rawValue) AND failing_since IS NOT NULL").run()
        } else {
            try await sql.raw("""
                UPDATE webhook_endpoints SET failing_since = \(bind: time.milliseconds) WHERE id = \(bind: id.rawValue) AND failing_since IS NULL
                """).run()
        }
    }

    /// Disables an enabled endpoint; false when it was not enabled.
    func disable(_ id: WebhookEndpointID, reason: String, at time: Timestamp) async throws -> Bool {
        try await sql.raw("""
            UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = \(bind: reason), updated_at = \(bind: time.milliseconds)
            WHERE id = \(bind: id.rawValue) AND status = 'enabled' RETURNING id
            """).first() != nil
    }
}
