import Metrics
import Synchronization

/// Runs the seat-taking transactions of one variant's checkouts together: while `runners` batches
/// of them run, each in one transaction, those that arrive queue for the next, up to `maxBatch` in
/// a batch. (`Checkout` also records the checkout sessions of an event's orders through one, keyed
/// by event: what is said here of a variant's checkouts holds for those.)
///
/// Why: each checkout of a hot variant ran its own transaction, so each paid a BEGIN, a COMMIT and
/// a flush of the write-ahead log, and waited on the variant's row for the one before to commit.
/// A batch commits once, and takes its checkouts' seats in one update at its end, so batches wait
/// on the row only for that update and the commit (figures in docs/performance.md, the sitting of
/// 2026-12-02, evening).
///
/// A batch either commits whole or not at all. When a batch of several fails, its checkouts are
/// answered `nil` and each runs alone, so one checkout's error (sold out, a bad redirect, an
/// Idempotency-Key in use) never becomes another's. A batch of one is answered its own error.
/// A checkout that waited `maxWait` while no batch of its variant ended is answered 503, as in
/// `SeatAdmission`: the batches ahead are stuck. Once queued it cannot leave otherwise.
package final class CheckoutBatches<Key: Hashable & Sendable, Item: Sendable, Output: Sendable>: Sendable {
    /// The most checkouts one transaction takes.
    package let maxBatch: Int
    /// The most batches of one variant running at once.
    package let runners: Int
    /// How long a checkout waits in a queue that does not move before it is refused.
    let maxWait: Duration
    /// Runs items in one transaction: an output for each, in order, or throws for all.
    private let runBatch: @Sendable ([Item]) async throws -> [Output]
    /// Each variant with a runner; one without has no entry.
    private let queues = Mutex<[Key: Queue]>([:])
    private let largest = Atomic<Int>(0)
    private let failed = Atomic<Int>(0)

    private struct Queue {
        var pending: [Pending] = []
        var runners = 0
        /// When a batch of the key last ended (or the queue was made).
        var progress = ContinuousClock.now
        /// Whether a task watches the queue for checkouts that waited too long.
        var watched = false
    }

    private struct Pending {
        let item: Item
        let since: ContinuousClock.Instant
        let answer: CheckedContinuation<Result<Output, any Error>?, Never>
    }

    /// - Parameters:
    ///   - maxBatch, runners: at least 1.
    ///   - maxWait: the longest a checkout waits in a queue that does not move before it is refused.
    ///   - runBatch: one transaction for all the items; it throws (and writes nothing) if any fails.
    package init(maxBatch: Int, runners: Int, maxWait: Duration = PostgresDatabaseDriver.connectionWait,
                 runBatch: @escaping @Sendable ([Item]) async throws -> [Output]) {
        precondition(maxBatch >= 1 && runners >= 1, "a batch takes at least one checkout, and a variant has a runner")
        self.maxBatch = maxBatch
        self.runners = runners
        self.maxWait = maxWait
        self.runBatch = runBatch
    }

    /// Runs `item` in the next batch of `key`.
    /// - Returns: its output once its batch committed; nil when its batch of several failed, and
    ///   the caller must run it alone.
    /// - Throws: what the batch threw when `item` was alone in it, or when the database could not
    ///   be reached (`DatabaseUnavailable`: running alone would not help, also after `maxWait` in a
    ///   queue where no batch ended); `CancellationError` when cancelled before it queued. Once
    ///   queued it is run: its batch may already be writing.
    package func run(_ key: Key, _ item: Item) async throws -> Output? {
        try Task.checkCancellation()
        let result = await withCheckedContinuation { (answer: CheckedContinuation<Result<Output, any Error>?, Never>) in
            let runners = self.runners
            let (starts, watch) = queues.withLock { queues -> (Bool, Bool) in
                queues[key, default: Queue()].pending.append(Pending(item: item, since: .now, answer: answer))
                if queues[key, default: Queue()].runners < runners {
                    queues[key]?.runners += 1
                    return (true, false)
                }
                guard queues[key]?.watched == false else { return (false, false) }
                queues[key]?.watched = true
                return (false, true)
            }
            if starts { Task.detached { await self.drain(key) } }
            if watch { Task.detached { await self.watch(key) } }
        }
        return try result?.get()
    }

    /// Checkouts of `key` queued for a batch, and its batches running, for tests.
    package func count(_ key: Key) -> (queued: Int, running: Int) {
        queues.withLock { queues in queues[key].map { ($0.pending.count, $0.runners) } ?? (0, 0) }
    }

    /// Variants with a runner, for tests: one with nothing left is forgotten.
    package var keysRunning: Int { queues.withLock(\.count) }

    /// The most checkouts a batch has taken so far.
    package var largestBatch: Int { largest.load(ordering: .relaxed) }

    /// Batches of several that failed, whose checkouts then ran alone: one of them was refused
    /// (sold out, a bad field, a key in use), or the batch's own writes failed, which running them
    /// alone then hides. Also counted in the metric `platform_checkout_batches_failed_total`.
    package var batchesFailed: Int { failed.load(ordering: .relaxed) }

    /// A runner of `key`: batch after batch until none is queued; the last runner forgets the key.
    private func drain(_ key: Key) async {
        while let batch = next(key) {
            _ = largest.max(batch.count, ordering: .relaxed)
            do {
                let outputs = try await runBatch(batch.map(\.item))
                precondition(outputs.count == batch.count, "a batch answers each of its items")
                for (pending, output) in zip(batch, outputs) { pending.answer.resume(returning: .success(output)) }
            } catch {
                let alone = batch.count > 1 && !(error is DatabaseUnavailable)
                if alone {
                    failed.wrappingAdd(1, ordering: .relaxed)
                    Counter(label: "platform_checkout_batches_failed_total").increment()
                }
                for pending in batch { pending.answer.resume(returning: alone ? nil : .failure(error)) }
            }
            queues.withLock { $0[key]?.progress = .now }
        }
    }

    /// Answers 503 to the checkouts of `key` that waited `maxWait` while no batch of it ended,
    /// until none waits. One task per queue: checkouts leave in the order they came, so only the
    /// first one's time matters. (A queue forgotten and made again while its watcher sleeps may
    /// have two for a while; each checkout is still taken out, and answered, once under the lock.)
    private func watch(_ key: Key) async {
        let maxWait = self.maxWait
        while true {
            let due = queues.withLock { queues -> ContinuousClock.Instant? in
                guard let first = queues[key]?.pending.first, let progress = queues[key]?.progress else {
                    queues[key]?.watched = false
                    return nil
                }
                return max(first.since, progress) + maxWait
            }
            guard let due else { return }
            // Detached and never cancelled: the sleep ends at `due`.
            try? await Task.sleep(until: due, clock: .continuous)
            let now = ContinuousClock.now
            let late = queues.withLock { queues -> [Pending] in
                guard let progress = queues[key]?.progress, progress + maxWait <= now else { return [] }
                let count = queues[key]?.pending.prefix { $0.since + maxWait <= now }.count ?? 0
                defer { queues[key]?.pending.removeFirst(count) }
                return Array(queues[key]?.pending.prefix(count) ?? [])
            }
            let refusal = DatabaseUnavailable.queueStalled(for: maxWait)
            for pending in late { pending.answer.resume(returning: .failure(refusal)) }
        }
    }

    /// The next batch of `key`, or nil when none is queued and the runner stops.
    private func next(_ key: Key) -> [Pending]? {
        let maxBatch = self.maxBatch
        return queues.withLock { queues -> [Pending]? in
            // Not through a copy of the queue, which would copy its array on the removal.
            guard let queued = queues[key]?.pending.count, queued > 0 else {
                queues[key]?.runners -= 1
                if queues[key]?.runners == 0 { queues[key] = nil }
                return nil
            }
            let batch = Array(queues[key]?.pending.prefix(maxBatch) ?? [])
            queues[key]?.pending.removeFirst(batch.count)
            return batch
        }
    }
}
