import Logging
import Metrics
import PluginKit
import SQLKit
import Synchronization

/// Takes stored webhooks in order, runs each through its provider's handler and applies the
/// resulting command in the same transaction that marks the row processed. A failure rolls that
/// back and schedules a retry with exponential backoff; after `maxAttempts` (8) the row is dead.
/// An approval (`PaymentCommand.approved`) is captured after that transaction, with the row
/// put off for `captureLease` meanwhile, and the row is processed once the capture is applied.
package struct InboxWorker: Sendable {
    package static let maxAttempts = 8
    /// Seconds an approval's row waits while its capture runs; a worker that dies meanwhile leaves it to be tried again then.
    static let captureLease: Int64 = 120
    let database: any Database
    let clock: any WallClock
    let providers: PaymentProviders
    let payments: PaymentApplier
    let refunds: RefundService
    let capture: PaymentCapture
    let logger: Logger
    private let rollbacks = Rollbacks()

    private final class Rollbacks: Sendable {
        let count = Atomic<Int>(0)
    }

    /// Batches this worker rolled back and took again one row at a time: a row that fails on its
    /// own does that, and so would a fault of the batch's own writes, which the retry then hides.
    /// Also counted in the metric `platform_inbox_batches_rolled_back_total`.
    package var batchesRolledBack: Int { rollbacks.count.load(ordering: .relaxed) }

    package init(database: any Database, clock: any WallClock, providers: PaymentProviders, payments: PaymentApplier, refunds: RefundService,
                 capture: PaymentCapture, logger: Logger) {
        self.database = database
        self.clock = clock
        self.providers = providers
        self.payments = payments
        self.refunds = refunds
        self.capture = capture
        self.logger = logger
    }

    struct Failure: Error {
        let row: InboxRow
        let error: any Error
    }

    /// Due rows taken in one transaction. One commit (a disk flush on PostgreSQL) and one claim
    /// for several webhooks instead of one each.
    static let batchSize = 32

    /// Processes due rows until none is left; returns how many it took.
    @discardableResult
    package func drain(limit: Int = 10_000) async -> Int {
        var count = 0
        while count < limit {
            let taken = await process(limit: min(Self.batchSize, limit - count))
            guard taken > 0 else { break }
            count += taken
        }
        return count
    }

    /// Handles one due row; false when nothing was due.
    func processNext() async -> Bool {
        await process(limit: 1) > 0
    }

    /// Handles up to `limit` due rows in one transaction and returns how many it took. When one of
    /// them fails, nothing of the batch is kept and the rows are taken again one at a time, so the
    /// failed attempt is counted against its own row only.
    private func process(limit: Int) async -> Int {
        let now = clock.now()
        let handled: [(InboxRow, PaymentOutcome)]
        do {
            handled = try await database.transaction { sql in
                // One row alone converts its seats at once, so a failure there is counted against it.
                let (seats, writes) = limit > 1 ? (DeferredSeatConversions(), BatchWrites()) : (nil, nil)
                let handled = try await DeferredSeatConversions.$current.withValue(seats) {
                    try await BatchWrites.$current.withValue(writes) {
                        try await BatchReads.$current.withValue(limit > 1 ? BatchReads() : nil) {
                            try await applyDue(limit: limit, now: now, on: sql)
                        }
                    }
                }
                try await writes?.flush(on: sql)
                try await seats?.write(on: sql)
                return handled
            }
        } catch let error where Self.isCancellation(error) {
            // The server is stopping: nothing of the batch was written, and its rows stay due for the next claim.
            return 0
        } catch where limit > 1 {
            rollbacks.count.wrappingAdd(1, ordering: .relaxed)
            // Made here, not with the worker: the metrics system is set up after the platform is built.
            Counter(label: "platform_inbox_batches_rolled_back_total").increment()
            logger.info("webhook batch rolled back; its rows are taken one at a time", metadata: [
                "error": "\(String(describing: error).prefix(300))",
            ])
            var count = 0
            while count < limit, await processNext() { count += 1 }
            return count
        } catch let failure as Failure {
            return await record(failure, now: now) ? 1 : 0
        } catch {
            logger.error("inbox claim or commit failed", metadata: ["error": "\(String(describing: error).prefix(300))"])
            return 0
        }
        for (row, outcome) in handled {
            do {
                try await afterCommit(row, outcome)
            } catch let error where Self.isCancellation(error) {
                // The server is stopping: a row waiting for its capture comes due again after its lease.
                break
            } catch let failure as Failure {
                _ = await record(failure, now: now)
            } catch {
                logger.error("marking a webhook dead after its capture was refused failed", metadata: [
                    "webhook": "\(row.id)", "error": "\(String(describing: error).prefix(300))",
                ])
            }
        }
        return handled.count
    }

    /// Claims up to `limit` due rows and applies each, in the caller's transaction.
    private func applyDue(limit: Int, now: Timestamp, on sql: any SQLDatabase) async throws -> [(InboxRow, PaymentOutcome)] {
        let (payments, providers) = (self.payments, self.providers)
        let inbox = WebhookInboxRepository(sql, engine: database.engine)
        var handled: [(InboxRow, PaymentOutcome)] = []
        // Marked together once the batch is applied: one statement instead of one per row.
        var processed: [WebhookID] = []
        let rows = try await inbox.claimDue(now: now, limit: limit)
        // Each row's command, decoded once; nil for a row no handler takes.
        let commands = rows.map { row in
            providers.provider(row.provider)?.handler(for: row.eventType).map { handler in Result { try handler(row.envelope) } }
        }
        var paidOrders: [OrderID] = []
        for case let .success(.paid(order, _, _, _))? in commands { paidOrders.append(order) }
        try await BatchReads.prefetchOrders(paidOrders, on: sql)
        for (position, (row, decoded)) in zip(rows, commands).enumerated() {
            guard let decoded else {
                try await inbox.finish(row.id, status: .ignored, at: now)
                handled.append((row, .unchanged))
                continue
            }
            do {
                let command = try decoded.get()
                if case .paid = command {} else {
                    // A refund, a dispute or a payout event may read the tickets and ledger
                    // transfers the batch's payments left for its end, and may change an order
                    // whose row the batch read at its start.
                    try await BatchWrites.current?.flush(on: sql)
                    BatchReads.forgetOrders()
                }
                // What the webhook changes is the provider's doing; its inbox row is the request.
                let outcome = try await AuditScope.acting(as: .provider(row.provider), requestID: row.id.rawValue) {
                    try await payments.apply(command, provider: row.provider, on: sql)
                }
                if case .captureRequired = outcome {
                    // The batch's captures and refunds run one after another after the commit: a
                    // later row's capture starts later, and its row must not come due before.
                    try await inbox.postpone(row.id, until: now.adding(seconds: Self.captureLease * Int64(position + 1)))
                } else {
                    processed.append(row.id)
                }
                handled.append((row, outcome))
            } catch let error as WebhookPayloadError {
                // Retrying cannot fix the payload: dead at once, with the reason for an admin.
                try await inbox.finish(row.id, status: .dead, error: error.description, at: now)
                handled.append((row, .unchanged))
            } catch {
                throw Failure(row: row, error: error)
            }
        }
        try await inbox.finishProcessed(processed, at: now)
        return handled
    }

    /// The work an outcome leaves for after its transaction: a capture or a refund through the provider.
    private func afterCommit(_ row: InboxRow, _ outcome: PaymentOutcome) async throws {
        if case let .captureRequired(order, session) = outcome { try await captured(row, order: order, session: session) }
        if case let .strayRefundRequired(order, amount, reference) = outcome {
            await AuditScope.acting(as: .provider(row.provider), requestID: row.id.rawValue) {
                await refunds.refundStray(order, amount: amount, reference: reference,
                                          reason: "automatic: \(row.provider) took a second payment \(reference) for the order")
            }
        }
        if case let .refundRequired(order, amount) = outcome {
            await AuditScope.acting(as: .provider(row.provider), requestID: row.id.rawValue) {
                await refunds.refundAutomatically(order, amount: amount, reason: "automatic: \(row.provider) event \(row.eventID) could not be honoured")
            }
        }
    }

    /// A stop of the server, bare or as a row's failure: nothing to count against the row.
    private static func isCancellation(_ error: any Error) -> Bool {
        error is CancellationError || (error as? Failure)?.error is CancellationError
    }

    /// Counts the failed attempt against its row (retried with backoff, or dead); false when even
    /// that could not be written.
    private func record(_ failure: Failure, now: Timestamp) async -> Bool {
        let attempts = failure.row.attempts + 1
        let delay = Backoff.seconds(attempt: attempts)
        logger.warning("webhook failed", metadata: [
            "webhook": "\(failure.row.id)", "provider": "\(failure.row.provider)", "attempt": "\(attempts)",
            "error": "\(String(describing: failure.error).prefix(300))",
        ])
        do {
            let engine = database.engine
            try await database.transaction { sql in
                try await WebhookInboxRepository(sql, engine: engine).recordFailure(
                    failure.row.id, error: String(describing: failure.error), retryAt: now.adding(seconds: delay), maxAttempts: Self.maxAttempts)
            }
            return true
        } catch {
            logger.error("cannot record webhook failure", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Captures an approved order and marks its row processed; a failure is counted as the row's.
    private func captured(_ row: InboxRow, order: OrderID, session: String) async throws {
        let (engine, capture) = (database.engine, self.capture)
        do {
            try await AuditScope.acting(as: .provider(row.provider), requestID: row.id.rawValue) {
                try await capture.capture(provider: row.provider, order: order, session: session)
            }
            try await database.transaction { sql in
                try await WebhookInboxRepository(sql, engine: engine).finish(row.id, status: .processed, at: clock.now())
            }
        } catch let error as WebhookPayloadError {
            try await database.transaction { sql in
                try await WebhookInboxRepository(sql, engine: engine).finish(row.id, status: .dead, error: error.description, at: clock.now())
            }
        } catch {
            throw Failure(row: row, error: error)
        }
    }
}
