import Logging
import PluginKit

/// Sends queued mail: leases due rows in one short transaction, sends each outside any
/// transaction, then records the outcome. A retryable failure is queued again with exponential
/// backoff and jitter (or the provider's retry-after, if longer); a permanent one, or the
/// `maxAttempts`-th failure, makes the row dead. A worker that dies mid-send leaves its lease to
/// run out; the next dispatcher sends again under the same idempotency key.
package struct OutboxDispatcher: BatchSender {
    package let database: any Database
    package let clock: any WallClock
    package let mailer: any Mailer
    package let composer: MailComposer
    /// With `Backoff`, about a day of retries: a provider's outage of minutes or hours delays mail
    /// and loses none (8 attempts were spent 5 minutes into an outage).
    package var maxAttempts = 30
    /// How long a claimed row is left to one worker; longer than any send's timeout.
    package var leaseSeconds: Int64 = 120
    /// Rows leased per transaction, and sent at once.
    package var batchSize = 16
    package var logger: Logger

    package init(database: any Database, clock: any WallClock, mailer: any Mailer, composer: MailComposer, logger: Logger) {
        self.database = database
        self.clock = clock
        self.mailer = mailer
        self.composer = composer
        self.logger = logger
    }

    /// Leases one batch and sends it; returns how many rows it took.
    package func sendBatch() async -> Int {
        let now = clock.now()
        let engine = database.engine
        let batch: [OutboxMessage]
        do {
            batch = try await database.transaction { sql in
                try await OutboxRepository(sql, engine: engine).claimDue(now: now, leaseUntil: now.adding(seconds: leaseSeconds), limit: batchSize)
            }
        } catch {
            // A shutdown cancels the claim; nothing failed.
            if !(error is CancellationError) {
                logger.error("outbox claim failed", metadata: ["error": "\(String(describing: error).prefix(300))"])
            }
            return 0
        }
        await withTaskGroup(of: Void.self) { group in
            for message in batch { group.addTask { await deliver(message) } }
        }
        return batch.count
    }

    func deliver(_ message: OutboxMessage) async {
        let outcome: Result<MailReceipt, MailError>
        if message.attempts > maxAttempts {
            // Leased again and again without an answer (each lease ran out): stop here.
            outcome = .failure(.permanent("no answer after \(maxAttempts) attempts"))
        } else {
            do {
                let mail = try composer.compose(message)
                outcome = await Result { () async throws(MailError) in try await mailer.send(mail) }
            } catch {
                outcome = .failure(.permanent("cannot render: \(error)"))
            }
        }
        let now = clock.now()
        let engine = database.engine
        do {
            try await database.transaction { sql in
                let outbox = OutboxRepository(sql, engine: engine)
                switch outcome {
                case let .success(receipt):
                    try await outbox.markSent(message.id, mailer: mailer.name, providerMessageID: receipt.messageID, at: now)
                case let .failure(.permanent(reason)):
                    try await outbox.recordFailure(message.id, error: reason, retryAt: nil, at: now)
                case let .failure(error):
                    try await outbox.recordFailure(message.id, error: error.description, retryAt: retryAt(message, error, now), at: now)
                }
            }
        } catch {
            // The lease runs out and the message is sent again, under its idempotency key.
            logger.error("cannot record outbox outcome", metadata: ["message": "\(message.id)", "error": "\(String(describing: error).prefix(300))"])
            return
        }
        if case let .failure(error) = outcome {
            logger.warning("mail not sent", metadata: [
                "message": "\(message.id)", "kind": "\(message.kind.rawValue)", "attempt": "\(message.attempts)", "error": "\(error)",
            ])
        }
    }

    /// Nil once the attempts are used up (dead).
    func retryAt(_ message: OutboxMessage, _ error: MailError, _ now: Timestamp) -> Timestamp? {
        guard message.attempts < maxAttempts else { return nil }
        var delay = Backoff.seconds(attempt: message.attempts)
        if case let .retryable(_, after?) = error { delay = max(delay, after) }
        return now.adding(seconds: delay)
    }
}

extension Result where Failure == MailError {
    init(_ body: () async throws(MailError) -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
