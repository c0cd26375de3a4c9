import PluginKit
import SQLKit

package struct StoredAPIKey: Sendable, Hashable {
    package let id: APIKeyID
    package let scope: APIKeyScope
    package let label: String
    package let prefix: String
}

package struct APIKeyRepository: Sendable {
    let sql: any SQLDatabase
    package init(_ sql: any SQLDatabase) { self.sql = sql }

    struct Row: Decodable {
        let id: String, scope: String, label: String, prefix: String
    }

    package func insert(id: APIKeyID, scope: APIKeyScope, label: String, prefix: String, secretHash: String, at time: Timestamp) async throws {
        try await sql.raw("""
            INSERT INTO api_keys (id, organizer_id, scope, label, prefix, secret_hash, created_at)
            VALUES (\(bind: id.rawValue), \(bind: scope.tenant?.rawValue), \(bind: scope.rawValue), \(bind: label),
                    \(bind: prefix), \(bind: secretHash), \(bind: time.milliseconds))
            """).run()
    }

    package func findActive(secretHash: String) async throws -> StoredAPIKey? {
        guard let row = try await sql.raw("""
            SELECT id, scope, label, prefix FROM api_keys WHERE secret_hash = \(bind: secretHash) AND revoked_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM organizers o WHERE o.id = api_keys.organizer_id AND o.suspended_at IS NOT NULL)
            """).first(decoding: Row.self) else { return nil }
        guard let scope = APIKeyScope(rawValue: row.scope) else { throw StoredValue.Corrupt(description: "stored key scope is unknown") }
        return StoredAPIKey(id: try StoredValue.id(row.id), scope: scope, label: row.label, prefix: row.prefix)
    }

    /// The label a key was given, revoked or not.
    package func label(_ id: APIKeyID) async throws -> String? {
        struct Row: Decodable { let label: String }
        return try await sql.raw("SELECT label FROM api_keys WHERE id = \(bind: id.rawValue)").first(decoding: Row.self)?.label
    }

    /// Active keys with exactly this scope, oldest first.
    package func list(scope: APIKeyScope) async throws -> [StoredAPIKey] {
        try await sql.raw("""
            SELECT id, scope, label, prefix FROM api_keys WHERE scope = \(bind: scope.rawValue) AND revoked_at IS NULL ORDER BY id
            """).all(decoding: Row.self).map { row in
            StoredAPIKey(id: try StoredValue.id(row.id), scope: scope, label: row.label, prefix: row.prefix)
        }
    }

    /// Revokes one key of this scope; false when there is no such active key.
    package func revoke(_ id: APIKeyID, scope: APIKeyScope, at time: Timestamp) async throws -> Bool {
        try await sql.raw("""
            UPDATE api_keys SET revoked_at = \(bind: time.milliseconds)
            WHERE id = \(bind: id.rawValue) AND scope = \(bind: scope.rawValue) AND revoked_at IS NULL RETURNING id
            """).first() != nil
    }

    /// Revokes every active key with this label and scope; the demo uses it to replace its keys on each run.
    package func revoke(label: String, scope: APIKeyScope, at time: Timestamp) async throws {
        try await sql.raw("""
            UPDATE api_keys SET revoked_at = \(bind: time.milliseconds)
            WHERE label = \(bind: label) AND scope = \(bind: scope.rawValue) AND revoked_at IS NULL
            """).run()
    }
}
