import Logging

/// Ends pending orders whose reservation has run out and gives their seats back.
public struct ExpiryWorker: Sendable {
    public let database: any Database
    public let clock: any WallClock
    public var logger: Logger

    public init(database: any Database, clock: any WallClock, logger: Logger) {
        self.database = database
        self.clock = clock
        self.logger = logger
    }

    /// Expires every due order; returns how many it expired.
    @discardableResult
    public func run() async throws -> Int {
        let applier = PaymentApplier(clock: clock)
        var expired = 0
        while true {
            let now = clock.now()
            let due = try await database.read { sql in try await OrderRepository(sql).expiredHolds(now: now, limit: 100) }
            if due.isEmpty { return expired }
            for id in due {
                let outcome = try await database.transaction { sql in
                    guard let order = try await OrderRepository(sql).find(id) else { return PaymentOutcome.unchanged }
                    return try await applier.apply(.expired(order: id), provider: order.provider, on: sql)
                }
                if outcome == .applied { expired += 1 }
            }
            if due.count < 100 { return expired }
        }
    }
}
