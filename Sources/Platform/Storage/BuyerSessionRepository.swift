import PluginKit
import SQLKit

/// Magic links and the buyer sessions they open; only token hashes are stored.
package struct BuyerSessionRepository: Sendable {
    let sql: any SQLDatabase
    package init(_ sql: any SQLDatabase) { self.sql = sql }

    func insertLink(tokenHash: String, email: String, at time: Timestamp, expiresAt: Timestamp) async throws {
        try await sql.raw("""
            INSERT INTO magic_links (token_hash, email, created_at, expires_at)
            VALUES (\(bind: tokenHash), \(bind: email), \(bind: time.milliseconds), \(bind: expiresAt.milliseconds))
            """).run()
    }

    /// Links asked for `email` after `time`, used or not.
    func linkCount(email: String, after time: Timestamp) async throws -> Int {
        struct Row: Decodable { let n: Int }
        return try await sql.raw("""
            SELECT COUNT(*) AS n FROM magic_links WHERE email = \(bind: email) AND created_at > \(bind: time.milliseconds)
            """).first(decoding: Row.self)?.n ?? 0
    }

    /// Marks the link used if it is unused and unexpired, in one conditional update so that two
    /// concurrent uses cannot both succeed; its email, or nil.
    func consumeLink(tokenHash: String, at now: Timestamp) async throws -> String? {
        struct Row: Decodable { let email: String }
        return try await sql.raw("""
            UPDATE magic_links SET used_at = \(bind: now.milliseconds)
            WHERE token_hash = \(bind: tokenHash) AND used_at IS NULL AND expires_at > \(bind: now.milliseconds)
            RETURNING email
            """).first(decoding: Row.self)?.email
    }

    package func insertSession(tokenHash: String, email: String, at time: Timestamp, expiresAt: Timestamp) async throws {
        try await sql.raw("""
            INSERT INTO buyer_sessions (token_hash, email, created_at, expires_at)
            VALUES (\(bind: tokenHash), \(bind: email), \(bind: time.milliseconds), \(bind: expiresAt.milliseconds))
            """).run()
    }

    /// The session's email and expiry if it is open at `now`.
    package func session(tokenHash: String, at now: Timestamp) async throws -> (email: String, expiresAt: Timestamp)? {
        struct Row: Decodable { let email: String, expiresAt: Int64 }
        guard let row = try await sql.raw("""
            SELECT email, expires_at FROM buyer_sessions WHERE token_hash = \(bind: tokenHash) AND expires_at > \(bind: now.milliseconds)
            """).first(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns) else { return nil }
        return (row.email, Timestamp(milliseconds: row.expiresAt))
    }

    func deleteSession(tokenHash: String) async throws {
        try await sql.raw("DELETE FROM buyer_sessions WHERE token_hash = \(bind: tokenHash)").run()
    }

    /// Drops sessions and links that ended before `time`.
    func purge(before time: Timestamp) async throws {
        try await sql.raw("DELETE FROM buyer_sessions WHERE expires_at < \(bind: time.milliseconds)").run()
        try await sql.raw("DELETE FROM magic_links WHERE expires_at < \(bind: time.milliseconds)").run()
    }
}
