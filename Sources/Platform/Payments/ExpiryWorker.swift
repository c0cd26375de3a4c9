import Logging
import PluginKit

/// Ends pending orders whose reservation has run out and gives their seats back; forgets
/// idempotency answers, handled webhooks past their retention, and ended buyer sessions and links.
public struct ExpiryWorker: Sendable {
    public let database: any Database
    public let clock: any WallClock
    public var logger: Logger
    public var webhookRetentionDays: Int64 = 30

    public init(database: any Database, clock: any WallClock, logger: Logger) {
        self.database = database
        self.clock = clock
        self.logger = logger
    }

    /// Expires every due order, then purges old idempotency answers; returns how many orders it expired.
    @discardableResult
    public func run() async throws -> Int {
        let applier = PaymentApplier(clock: clock)
        var expired = 0
        while true {
            let now = clock.now()
            let due = try await database.read { sql in try await OrderRepository(sql).expiredHolds(now: now, limit: 100) }
            for id in due {
                let outcome = try await database.transaction { sql in
                    guard let order = try await OrderRepository(sql).find(id) else { return PaymentOutcome.unchanged }
                    return try await applier.apply(.expired(order: id), provider: order.provider, on: sql)
                }
                if outcome == .applied { expired += 1 }
            }
            if due.count < 100 { break }
        }
        let now = clock.now()
        let engine = database.engine
        let cutoff = now.adding(minutes: -webhookRetentionDays * 24 * 60)
        _ = try await database.transaction { sql in
            try await IdempotencyRepository(sql).purge(now: now, retention: IdempotencyRepository.retention)
            try await BuyerSessionRepository(sql).purge(before: now)
            return try await WebhookInboxRepository(sql, engine: engine).purge(receivedBefore: cutoff)
        }
        return expired
    }
}
