import Platform
import SQLKit

struct StoredSigningKey: Sendable, Hashable {
    let kid: String
    let algorithm: TokenAlgorithm
    let publicKey: String?
    let sealedPrivateKey: String?
    let createdAt: Timestamp
}

struct SigningKeyRepository: Sendable {
    let sql: any SQLDatabase
    init(_ sql: any SQLDatabase) { self.sql = sql }

    private struct Row: Decodable {
        let kid: String, algorithm: String, publicKey: String?, sealedPrivateKey: String?, createdAt: Int64
    }

    /// Oldest first, so the last key of an algorithm is the newest.
    func all() async throws -> [StoredSigningKey] {
        try await sql.raw("""
            SELECT kid, algorithm, public_key, sealed_private_key, created_at FROM ticket_signing_keys ORDER BY created_at, kid
            """).all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns).map { row in
            guard let algorithm = TokenAlgorithm(rawValue: row.algorithm) else {
                throw TicketingConfigurationError("stored signing key \(row.kid) has unknown algorithm \(row.algorithm)")
            }
            return StoredSigningKey(kid: row.kid, algorithm: algorithm, publicKey: row.publicKey, sealedPrivateKey: row.sealedPrivateKey,
                                    createdAt: Timestamp(milliseconds: row.createdAt))
        }
    }

    /// Inserts the key unless its kid is already there (a key from the environment, seen again).
    func insert(_ key: StoredSigningKey) async throws {
        try await sql.raw("""
            INSERT INTO ticket_signing_keys (kid, algorithm, public_key, sealed_private_key, created_at)
            VALUES (\(bind: key.kid), \(bind: key.algorithm.rawValue), \(bind: key.publicKey), \(bind: key.sealedPrivateKey),
                    \(bind: key.createdAt.milliseconds))
            ON CONFLICT (kid) DO NOTHING
            """).run()
    }
}
