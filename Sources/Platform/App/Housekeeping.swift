import PluginKit

/// Forgets what is kept only for a while: idempotency answers after 24 hours (they hold buyers'
/// access tokens), ended buyer sessions and sign-in links, and handled webhooks, incoming and
/// outgoing (delivered or given up), past their retention.
package struct Housekeeping: Sendable {
    let database: any Database
    let clock: any WallClock
    /// Days a processed or ignored webhook is kept, and recognised as a repeat (WEBHOOK_RETENTION_DAYS).
    let webhookRetentionDays: Int64

    package init(database: any Database, clock: any WallClock, webhookRetentionDays: Int64) {
        self.database = database
        self.clock = clock
        self.webhookRetentionDays = webhookRetentionDays
    }

    /// Purges in one transaction; returns how many webhooks it deleted.
    @discardableResult
    package func run() async throws -> Int {
        let now = clock.now()
        let engine = database.engine
        let cutoff = now.adding(minutes: -webhookRetentionDays * 24 * 60)
        return try await database.transaction { sql in
            try await IdempotencyRepository(sql).purge(now: now, retention: IdempotencyRepository.retention)
            try await BuyerSessionRepository(sql).purge(before: now)
            try await MemberRepository(sql).purge(before: now)
            try await WebhookDeliveryRepository(sql).purge(finishedBefore: cutoff)
            return try await WebhookInboxRepository(sql, engine: engine).purge(receivedBefore: cutoff)
        }
    }
}
