import Logging
import PluginKit
import SQLKit

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

    /// Processes due rows until none is left; returns how many it took.
    @discardableResult
    package func drain(limit: Int = 10_000) async -> Int {
        var count = 0
        while count < limit, await processNext() { count += 1 }
        return count
    }

    /// Handles one due row; false when nothing was due.
    func processNext() async -> Bool {
        let (payments, providers) = (self.payments, self.providers)
        let engine = database.engine
        let now = clock.now()
        do {
            let result: (InboxRow, PaymentOutcome)? = try await database.transaction { sql in
                let inbox = WebhookInboxRepository(sql, engine: engine)
                guard let row = try await inbox.claimDue(now: now) else { return nil }
                guard let handler = providers.provider(row.provider)?.handler(for: row.eventType) else {
                    try await inbox.finish(row.id, status: .ignored, at: now)
                    return (row, .unchanged)
                }
                do {
                    // What the webhook changes is the provider's doing; its inbox row is the request.
                    let outcome = try await AuditScope.acting(as: .provider(row.provider), requestID: row.id.rawValue) {
                        try await payments.apply(try handler(row.envelope), provider: row.provider, on: sql)
                    }
                    if case .captureRequired = outcome {
                        try await inbox.postpone(row.id, until: now.adding(seconds: Self.captureLease))
                    } else {
                        try await inbox.finish(row.id, status: .processed, at: now)
                    }
                    return (row, outcome)
                } catch let error as WebhookPayloadError {
                    // Retrying cannot fix the payload: dead at once, with the reason for an admin.
                    try await inbox.finish(row.id, status: .dead, error: error.description, at: now)
                    return (row, .unchanged)
                } catch {
                    throw Failure(row: row, error: error)
                }
            }
            guard let (row, outcome) = result else { return false }
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
            return true
        } catch let failure as Failure {
            let attempts = failure.row.attempts + 1
            let delay = Backoff.seconds(attempt: attempts)
            logger.warning("webhook failed", metadata: [
                "webhook": "\(failure.row.id)", "provider": "\(failure.row.provider)", "attempt": "\(attempts)",
                "error": "\(String(describing: failure.error).prefix(300))",
            ])
            do {
                try await database.transaction { sql in
                    try await WebhookInboxRepository(sql, engine: engine).recordFailure(
                        failure.row.id, error: String(describing: failure.error), retryAt: now.adding(seconds: delay), maxAttempts: Self.maxAttempts)
                }
            } catch {
                logger.error("cannot record webhook failure", metadata: ["error": "\(error)"])
                return false
            }
            return true
        } catch {
            logger.error("inbox worker failed", metadata: ["error": "\(String(describing: error).prefix(300))"])
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
