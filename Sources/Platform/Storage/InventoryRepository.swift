import PluginKit
import SQLKit

/// Seat counters of ticket variants. Each move is one conditional UPDATE: taking seats succeeds only
/// while `sold + reserved + n <= quota` holds at the moment of the write, so concurrent buyers can
/// never oversell, and no event-wide lock is taken. Every move made is noted in `CatalogChanges`.
struct InventoryRepository: Sendable {
    let sql: any SQLDatabase
    package init(_ sql: any SQLDatabase) { self.sql = sql }

    /// Holds `n` seats for a pending order; false when fewer than `n` are left.
    func reserve(_ variant: VariantID, _ n: Int64) async throws -> Bool {
        let taken = try await !sql.execute(ReserveSeats(variant: variant.rawValue, seats: n)).isEmpty
        if taken { CatalogChanges.note() }
        return taken
    }

    /// Sells `n` seats that no reservation holds (a payment that arrived after its reservation ended).
    func sellUnreserved(_ variant: VariantID, _ n: Int64) async throws -> Bool {
        let sold = try await sql.raw("""
            UPDATE ticket_variants SET sold = sold + \(bind: n)
            WHERE id = \(bind: variant.rawValue) AND sold + reserved + \(bind: n) <= quota RETURNING id
            """).first() != nil
        if sold { CatalogChanges.note() }
        return sold
    }

    func convertHeldToSold(_ variant: VariantID, _ n: Int64) async throws {
        try await sql.raw("UPDATE ticket_variants SET reserved = reserved - \(bind: n), sold = sold + \(bind: n) WHERE id = \(bind: variant.rawValue)").run()
        CatalogChanges.note()
    }

    func releaseHeld(_ variant: VariantID, _ n: Int64) async throws {
        try await sql.raw("UPDATE ticket_variants SET reserved = reserved - \(bind: n) WHERE id = \(bind: variant.rawValue)").run()
        CatalogChanges.note()
    }

    func releaseSold(_ variant: VariantID, _ n: Int64) async throws {
        try await sql.raw("UPDATE ticket_variants SET sold = sold - \(bind: n) WHERE id = \(bind: variant.rawValue)").run()
        CatalogChanges.note()
    }
}

private struct ReserveSeats: PreparedStatement {
    static let name = "platform_reserve_seats"
    static let sql = "UPDATE ticket_variants SET reserved = reserved + $2 WHERE id = $1 AND sold + reserved + $2 <= quota RETURNING id"
    let variant: String, seats: Int64
    var values: [StatementValue] { [.text(variant), .integer(seats)] }
}
