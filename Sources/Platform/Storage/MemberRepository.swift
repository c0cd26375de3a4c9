import PluginKit
import SQLKit

/// Members, their sessions and their emailed links; only hashes of passwords and tokens are stored.
package struct MemberRepository: Sendable {
    let sql: any SQLDatabase
    package init(_ sql: any SQLDatabase) { self.sql = sql }

    struct Row: Decodable {
        let id: String, organizerId: String?, email: String, role: String, passwordHash: String, createdAt: Int64

        func member() throws -> Member {
            Member(id: try StoredValue.id(id), organizerID: try organizerId.map(StoredValue.id), email: email, role: try StoredValue.enum(role),
                   createdAt: Timestamp(milliseconds: createdAt))
        }
    }

    private static let columns = "m.id, m.organizer_id, m.email, m.role, m.password_hash, m.created_at"

    /// Inserts unless an active member has the address; false when one has.
    func insert(_ member: Member, passwordHash: String) async throws -> Bool {
        try await sql.raw("""
            INSERT INTO members (id, organizer_id, email, role, password_hash, created_at)
            VALUES (\(bind: member.id.rawValue), \(bind: member.organizerID?.rawValue), \(bind: member.email), \(bind: member.role.rawValue),
                    \(bind: passwordHash), \(bind: member.createdAt.milliseconds))
            ON CONFLICT (email) WHERE removed_at IS NULL DO NOTHING RETURNING id
            """).first() != nil
    }

    /// The active member with the address, and its password hash.
    func find(email: String) async throws -> (Member, passwordHash: String)? {
        guard let row = try await sql.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM members m WHERE m.email = \(bind: email) AND m.removed_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM organizers o WHERE o.id = m.organizer_id AND o.suspended_at IS NOT NULL)
            """)
            .first(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns) else { return nil }
        return (try row.member(), row.passwordHash)
    }

    /// The active member `id` of `organizer`, or the active admin `id` when `organizer` is nil.
    package func find(_ id: MemberID, organizer: OrganizerID?) async throws -> Member? {
        let query: SQLQueryString = organizer.map {
            "SELECT \(unsafeRaw: Self.columns) FROM members m WHERE m.id = \(bind: id.rawValue) AND m.organizer_id = \(bind: $0.rawValue) AND m.removed_at IS NULL"
        } ?? "SELECT \(unsafeRaw: Self.columns) FROM members m WHERE m.id = \(bind: id.rawValue) AND m.organizer_id IS NULL AND m.removed_at IS NULL"
        return try await sql.raw(query).first(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns)?.member()
    }

    package func list(organizer: OrganizerID) async throws -> [Member] {
        try await sql.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM members m WHERE m.organizer_id = \(bind: organizer.rawValue) AND m.removed_at IS NULL ORDER BY m.id
            """).all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns).map { try $0.member() }
    }

    func count(organizer: OrganizerID, role: MemberRole) async throws -> Int {
        struct Count: Decodable { let n: Int }
        return try await sql.raw("""
            SELECT COUNT(*) AS n FROM members WHERE organizer_id = \(bind: organizer.rawValue) AND role = \(bind: role.rawValue) AND removed_at IS NULL
            """).first(decoding: Count.self)?.n ?? 0
    }

    func setPassword(_ id: MemberID, hash: String) async throws {
        try await sql.raw("UPDATE members SET password_hash = \(bind: hash) WHERE id = \(bind: id.rawValue)").run()
    }

    func setRole(_ id: MemberID, role: MemberRole) async throws {
        try await sql.raw("UPDATE members SET role = \(bind: role.rawValue) WHERE id = \(bind: id.rawValue)").run()
    }

    func remove(_ id: MemberID, at time: Timestamp) async throws {
        try await sql.raw("UPDATE members SET removed_at = \(bind: time.milliseconds) WHERE id = \(bind: id.rawValue)").run()
        try await deleteSessions(member: id)
    }

    // MARK: Sessions

    func insertSession(tokenHash: String, member: MemberID, at time: Timestamp, expiresAt: Timestamp) async throws {
        try await sql.raw("""
            INSERT INTO member_sessions (token_hash, member_id, created_at, expires_at)
            VALUES (\(bind: tokenHash), \(bind: member.rawValue), \(bind: time.milliseconds), \(bind: expiresAt.milliseconds))
            """).run()
    }

    /// The member of a session open at `now`, with the session's expiry.
    func session(tokenHash: String, at now: Timestamp) async throws -> (Member, expiresAt: Timestamp)? {
        struct SessionRow: Decodable {
            let id: String, organizerId: String?, email: String, role: String, passwordHash: String, createdAt: Int64, expiresAt: Int64
        }
        guard let row = try await sql.raw("""
            SELECT \(unsafeRaw: Self.columns), s.expires_at FROM member_sessions s JOIN members m ON m.id = s.member_id
            WHERE s.token_hash = \(bind: tokenHash) AND s.expires_at > \(bind: now.milliseconds) AND m.removed_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM organizers o WHERE o.id = m.organizer_id AND o.suspended_at IS NOT NULL)
            """).first(decoding: SessionRow.self, keyDecodingStrategy: .snakeCaseColumns) else { return nil }
        let member = try Row(id: row.id, organizerId: row.organizerId, email: row.email, role: row.role, passwordHash: row.passwordHash,
                             createdAt: row.createdAt).member()
        return (member, Timestamp(milliseconds: row.expiresAt))
    }

    func deleteSession(tokenHash: String) async throws {
        try await sql.raw("DELETE FROM member_sessions WHERE token_hash = \(bind: tokenHash)").run()
    }

    /// Ends every session of the member; how many there were.
    @discardableResult
    func deleteSessions(member: MemberID) async throws -> Int {
        struct Row: Decodable { let tokenHash: String }
        return try await sql.raw("DELETE FROM member_sessions WHERE member_id = \(bind: member.rawValue) RETURNING token_hash")
            .all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns).count
    }

    // MARK: Emailed links

    struct Link: Decodable {
        let purpose: String, email: String, organizerId: String?, role: String?, memberId: String?
    }

    func insertLink(tokenHash: String, purpose: String, email: String, organizer: OrganizerID?, role: MemberRole?, member: MemberID?,
                    createdBy: MemberID?, at time: Timestamp, expiresAt: Timestamp) async throws {
        try await sql.raw("""
            INSERT INTO member_links (token_hash, purpose, email, organizer_id, role, member_id, created_by, created_at, expires_at)
            VALUES (\(bind: tokenHash), \(bind: purpose), \(bind: email), \(bind: organizer?.rawValue), \(bind: role?.rawValue),
                    \(bind: member?.rawValue), \(bind: createdBy?.rawValue), \(bind: time.milliseconds), \(bind: expiresAt.milliseconds))
            """).run()
    }

    /// Links of `purpose` sent to `email` after `time`.
    func linkCount(email: String, purpose: String, after time: Timestamp) async throws -> Int {
        struct Count: Decodable { let n: Int }
        return try await sql.raw("""
            SELECT COUNT(*) AS n FROM member_links WHERE email = \(bind: email) AND purpose = \(bind: purpose) AND created_at > \(bind: time.milliseconds)
            """).first(decoding: Count.self)?.n ?? 0
    }

    /// An unused, unexpired link of `purpose`, without using it.
    func link(tokenHash: String, purpose: String, at now: Timestamp) async throws -> Link? {
        try await sql.raw("""
            SELECT purpose, email, organizer_id, role, member_id FROM member_links
            WHERE token_hash = \(bind: tokenHash) AND purpose = \(bind: purpose) AND used_at IS NULL AND expires_at > \(bind: now.milliseconds)
            """).first(decoding: Link.self, keyDecodingStrategy: .snakeCaseColumns)
    }

    /// Uses the link in one conditional update, so that two uses cannot both succeed.
    func consumeLink(tokenHash: String, purpose: String, at now: Timestamp) async throws -> Link? {
        try await sql.raw("""
            UPDATE member_links SET used_at = \(bind: now.milliseconds)
            WHERE token_hash = \(bind: tokenHash) AND purpose = \(bind: purpose) AND used_at IS NULL AND expires_at > \(bind: now.milliseconds)
            RETURNING purpose, email, organizer_id, role, member_id
            """).first(decoding: Link.self, keyDecodingStrategy: .snakeCaseColumns)
    }

    /// Drops sessions and links that ended before `time`.
    func purge(before time: Timestamp) async throws {
        try await sql.raw("DELETE FROM member_sessions WHERE expires_at < \(bind: time.milliseconds)").run()
        try await sql.raw("DELETE FROM member_links WHERE expires_at < \(bind: time.milliseconds)").run()
    }
}
