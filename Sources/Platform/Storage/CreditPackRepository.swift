import PluginKit
import SQLKit

/// The credit packs the platform sells.
package struct CreditPackRepository: Sendable {
    let sql: any SQLDatabase
    package init(_ sql: any SQLDatabase) { self.sql = sql }

    private struct Row: Decodable {
        let id: String, name: String, price: Int64, currency: String, credit: Int64, active: Int64, expiresDays: Int64?
        let createdAt: Int64, updatedAt: Int64
        func pack() throws -> CreditPack {
            CreditPack(id: try StoredValue.id(id), name: name, price: Money(minorUnits: price, currency: try StoredValue.currency(currency)),
                       credit: credit, active: active != 0, expiresDays: expiresDays.map { Int($0) },
                       createdAt: Timestamp(milliseconds: createdAt), updatedAt: Timestamp(milliseconds: updatedAt))
        }
    }

    package func insert(_ pack: CreditPack) async throws {
        try await sql.raw("""
            INSERT INTO credit_packs (id, name, price, currency, credit, active, expires_days, created_at, updated_at)
            VALUES (\(bind: pack.id.rawValue), \(bind: pack.name), \(bind: pack.price.minorUnits), \(bind: pack.price.currency.code),
                    \(bind: pack.credit), \(bind: pack.active ? 1 : 0), \(bind: pack.expiresDays), \(bind: pack.createdAt.milliseconds),
                    \(bind: pack.updatedAt.milliseconds))
            """).run()
    }

    package func find(_ id: CreditPackID) async throws -> CreditPack? {
        try await sql.raw("SELECT * FROM credit_packs WHERE id = \(bind: id.rawValue)").first(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns)?.pack()
    }

    /// Every pack (or only the active ones), oldest first.
    package func list(activeOnly: Bool) async throws -> [CreditPack] {
        try await sql.raw("SELECT * FROM credit_packs \(unsafeRaw: activeOnly ? "WHERE active = 1 " : "")ORDER BY id")
            .all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns).map { try $0.pack() }
    }

    package func setActive(_ id: CreditPackID, _ active: Bool, at time: Timestamp) async throws -> Bool {
        try await sql.raw("""
            UPDATE credit_packs SET active = \(bind: active ? 1 : 0), updated_at = \(bind: time.milliseconds) WHERE id = \(bind: id.rawValue) RETURNING id
            """).first() != nil
    }
}
