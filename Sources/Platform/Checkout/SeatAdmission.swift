import Synchronization

/// Lets at most `limit` checkouts of one variant run their seat-taking transaction at a time in this
/// process; the others wait here, first come first served, before they take a connection.
///
/// Why: a hot variant's row is locked from the update that takes its seats to the commit, so its
/// checkouts run one after another whatever the number of buyers. Queued on that lock inside
/// PostgreSQL, each waiting checkout holds a connection, an open transaction and a backend, and each
/// commit hands the row to the next waiter there. With 32 buyers on one variant, admitting 4 at a
/// time cut PostgreSQL's CPU per order request from 2.1-2.6 ms to 1.2-1.5 ms and p99 from 370-460 ms
/// to 88-104 ms, and placed 6-47% more orders a second (docs/performance.md, the sitting of
/// 2026-12-02, afternoon). The database's conditional update still decides who gets the last seat,
/// across processes too.
///
/// A cart of several variants takes them in variant order and keeps the places it has while it
/// waits for the next: no two carts wait on each other, but a cart queued on a hot variant holds a
/// place of its other variants meanwhile. Waiting ignores cancellation; a checkout cancelled while
/// it waited gives its place up unused when admitted.
package final class SeatAdmission: Sendable {
    /// Measured with 2, 3, 4 and 8: 2 leaves the row idle between commits, more than 4 gains nothing
    /// and queues more inside PostgreSQL.
    package static let perVariant = 4
    /// Transactions of one variant let run at once: enough to keep its row busy while the next
    /// ones run their statements before the seat update.
    package let limit: Int
    /// Longer in the queue means the checkouts ahead are stuck (the database is down or hung): the
    /// checkout is answered 503 then, as one waiting that long for a connection is.
    let maxWait: Duration
    private let lines = Mutex<[VariantID: Line]>([:])

    /// One variant's checkouts: those running, and those waiting from `head` on, in arrival order.
    private struct Line {
        var running = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
        var head = 0

        mutating func enterOrQueue(_ waiter: CheckedContinuation<Void, Never>?, limit: Int) -> Bool {
            guard running < limit else {
                if let waiter { waiting.append(waiter) }
                return false
            }
            running += 1
            return true
        }

        /// The next waiter, who takes the leaver's place; nil when none waits and the place is freed.
        mutating func leave() -> CheckedContinuation<Void, Never>? {
            guard head < waiting.count else {
                assert(running > 0, "a place left twice")
                running -= 1
                return nil
            }
            let next = waiting[head]
            head += 1
            if head == waiting.count {
                waiting.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 64, head * 2 >= waiting.count {
                // A queue that never empties during a rush must not keep every waiter it had.
                waiting.removeFirst(head)
                head = 0
            }
            return next
        }
    }

    /// - Parameters:
    ///   - limit: at least 1.
    ///   - maxWait: the longest a checkout waits for its turn before it is refused.
    package init(limit: Int, maxWait: Duration = PostgresDatabaseDriver.connectionWait) {
        precondition(limit >= 1, "an admission lets at least one checkout run")
        self.limit = limit
        self.maxWait = maxWait
    }

    /// Runs `body` once each of `variants` admits it, and gives the places up when it ends.
    /// - Throws: `DatabaseUnavailable` (503) after waiting longer than `maxWait` for one variant,
    ///   `CancellationError` when cancelled while waiting, and what `body` throws.
    package func admitted<T>(to variants: [VariantID], _ body: () async throws -> T) async throws -> T {
        var entered: [VariantID] = []
        defer { for variant in entered.reversed() { leave(variant) } }
        for variant in Set(variants).sorted() {
            let waited = await enter(variant)
            entered.append(variant)
            if waited > maxWait {
                throw DatabaseUnavailable(reason: "the checkouts ahead of this one took more than \(maxWait.components.seconds) s")
            }
        }
        try Task.checkCancellation()
        return try await body()
    }

    /// Checkouts of `variant` running or waiting, for tests.
    package func count(_ variant: VariantID) -> (running: Int, waiting: Int) {
        lines.withLock { lines in lines[variant].map { ($0.running, $0.waiting.count - $0.head) } ?? (0, 0) }
    }

    /// Variants with a checkout running or waiting, for tests: one with nobody left is forgotten.
    package var variantsQueued: Int { lines.withLock(\.count) }

    /// Takes a place of `variant`, waiting for one when all are taken; returns how long it waited.
    private func enter(_ variant: VariantID) async -> Duration {
        let limit = self.limit
        if lines.withLock({ $0[variant, default: Line()].enterOrQueue(nil, limit: limit) }) { return .zero }
        let clock = ContinuousClock(), start = clock.now
        await withCheckedContinuation { waiter in
            // Another checkout may have left since the first try: then this one enters at once.
            if lines.withLock({ $0[variant, default: Line()].enterOrQueue(waiter, limit: limit) }) { waiter.resume() }
        }
        return clock.now - start
    }

    private func leave(_ variant: VariantID) {
        let next: CheckedContinuation<Void, Never>? = lines.withLock { lines in
            guard lines[variant] != nil else {
                assertionFailure("left a variant never entered")
                return nil
            }
            let next = lines[variant]?.leave()
            if lines[variant]?.running == 0 { lines[variant] = nil }
            return next
        }
        next?.resume()
    }
}
