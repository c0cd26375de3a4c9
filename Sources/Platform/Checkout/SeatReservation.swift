import PluginKit
import SQLKit

/// Takes the seats of an order's lines inside the caller's transaction: one conditional update
/// per variant (`sold + reserved + n <= quota`), never read-then-write.
struct SeatReservation {
    let sql: any SQLDatabase

    init(_ sql: any SQLDatabase) { self.sql = sql }

    /// - Throws: `PlatformError.conflict` naming the first variant without enough seats; the
    ///   caller's transaction then rolls back what earlier lines took.
    func take(_ lines: [OrderLine], of variants: [VariantID: TicketVariant]) async throws {
        let inventory = InventoryRepository(sql)
        // Variants in a fixed order, so two carts never wait on each other's rows in opposite orders.
        for line in lines.sorted(by: { $0.variantID < $1.variantID }) {
            guard try await inventory.reserve(line.variantID, line.quantity) else { throw Self.shortage(of: line, variants) }
        }
    }

    /// The 409 of a line whose variant has fewer seats left than it asks for.
    static func shortage(of line: OrderLine, _ variants: [VariantID: TicketVariant]) -> PlatformError {
        .conflict(shortagePrefix + "\(variants[line.variantID]?.name ?? "this ticket") tickets left for \(line.quantity)")
    }

    private static let shortagePrefix = "not enough "

    /// Whether `error` is the 409 of `shortage`.
    static func isShortage(_ error: any Error) -> Bool {
        guard case let .conflict(detail) = error as? PlatformError else { return false }
        return detail.hasPrefix(shortagePrefix)
    }
}
