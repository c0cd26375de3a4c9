import PluginKit

/// Moves each paid order's net from the organizer's pending balance to its available one, once,
/// when the order's hold has ended (`PAYOUT_HOLD_FROM`, `PAYOUT_HOLD_DAYS`, or the organizer's own).
package struct HoldRelease: Sendable {
    let database: any Database
    let clock: any WallClock
    /// The platform's hold; an organizer's own replaces it.
    let standard: PayoutHold

    package init(database: any Database, clock: any WallClock, standard: PayoutHold) {
        self.database = database
        self.clock = clock
        self.standard = standard
    }

    /// Releases every order that is due; returns how many.
    @discardableResult
    package func run(batch: Int = 100) async throws -> Int {
        let standard = self.standard
        var released = 0
        while true {
            let now = clock.now()
            let due = try await database.read { sql in try await LedgerRepository(sql).dueForRelease(now: now, standard: standard, limit: batch) }
            guard !due.isEmpty else { break }
            released += try await database.transaction { sql in
                // Locked first, then read: a refund booked meanwhile is in the amount, or waits and sees the release.
                try await OrderRepository(sql).lock(due)
                let pending = try await LedgerRepository(sql).pendingNet(of: due)
                try await LedgerRepository(sql).post(pending.map { order, organizer, net in
                    Transfer(id: "release:\(order)", kind: .release, amount: net, debit: .organizerPending(organizer),
                             credit: .organizerAvailable(organizer), organizerID: organizer, orderID: order, bookedAt: now)
                })
                return pending.count
            }
            if due.count < batch { break }
        }
        return released
    }
}
