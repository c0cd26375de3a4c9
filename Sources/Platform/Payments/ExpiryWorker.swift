import PluginKit

/// Ends pending orders whose reservation has run out and gives their seats back, through the
/// shared `PaymentApplier` that every path changing an order uses.
package struct ExpiryWorker: Sendable {
    let database: any Database
    let clock: any WallClock
    let payments: PaymentApplier

    package init(database: any Database, clock: any WallClock, payments: PaymentApplier) {
        self.database = database
        self.clock = clock
        self.payments = payments
    }

    /// Expires every due order; returns how many it expired.
    @discardableResult
    package func run() async throws -> Int {
        let payments = self.payments
        var expired = 0
        while true {
            let now = clock.now()
            let due = try await database.read { sql in try await OrderRepository(sql).expiredHolds(now: now, limit: 100) }
            for id in due {
                let outcome = try await database.transaction { sql in
                    // Locked, then read again: a capture under way may have lengthened the reservation.
                    try await OrderRepository(sql).lock([id])
                    guard let order = try await OrderRepository(sql).find(id), order.expiresAt <= now else { return PaymentOutcome.unchanged }
                    return try await payments.apply(.expired(order: id), provider: order.provider, on: sql)
                }
                if outcome == .applied { expired += 1 }
            }
            if due.count < 100 { break }
        }
        return expired
    }
}
