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
/// place of its other variants meanwhile.
package final class SeatAdmission: Sendable {
    /// Measured with 2, 4 and 8: 2 leaves the row idle between commits, 8 gains nothing on 4 and
    /// queues more inside PostgreSQL.
    package static let perVariant = 4
    /// Transactions of one variant let run at once: enough to keep its row busy while the next
    /// ones run their statements before the seat update.
    package let limit: Int
    /// A checkout that waited this long while no checkout of its variant ended leaves the queue: the
    /// checkouts ahead are stuck (the database is down or hung), and it is answered 503 as one
    /// waiting that long for a connection is. A queue that moves, however slowly, keeps its waiters:
    /// a long one on a busy machine is not a fault.
    let maxWait: Duration
    private let lines = Mutex<[VariantID: Line]>([:])
    private let lastWaiter = Atomic<UInt64>(0)

    private enum Turn { case admitted, timedOut, cancelled }

    private struct Waiter {
        let id: UInt64
        let since: ContinuousClock.Instant
        let turn: CheckedContinuation<Turn, Never>
    }

    /// One variant's checkouts: those running, and those waiting from `head` on in arrival order
    /// (nil where one left the queue early).
    private struct Line {
        var running = 0
        var waiting: [Waiter?] = []
        var head = 0
        /// When a checkout of the variant last ended (or the line was made).
        var progress = ContinuousClock.now
        /// The task watching the queue for waiters that waited too long, if one does.
        var watcher: UInt64?

        var first: Waiter? {
            waiting[head...].lazy.compactMap { $0 }.first
        }

        var isIdle: Bool { running == 0 && first == nil }

        mutating func enter(limit: Int) -> Bool {
            guard running < limit else { return false }
            running += 1
            return true
        }

        /// Takes a place if one is free, else queues `waiter`; whether a watcher (named by the
        /// waiter's id) must be started.
        mutating func enterOrQueue(_ waiter: Waiter, limit: Int) -> (entered: Bool, watch: Bool) {
            if enter(limit: limit) { return (true, false) }
            waiting.append(waiter)
            guard watcher == nil else { return (false, false) }
            watcher = waiter.id
            return (false, true)
        }

        /// The next waiter, who takes the leaver's place; nil when none waits and the place is freed.
        mutating func leave() -> Waiter? {
            progress = .now
            while head < waiting.count, waiting[head] == nil { head += 1 }
            defer { trim() }
            guard head < waiting.count, let next = waiting[head] else {
                assert(running > 0, "a place left twice")
                running -= 1
                return nil
            }
            waiting[head] = nil
            head += 1
            return next
        }

        /// Takes waiter `id` out of the queue, if it is still there.
        mutating func remove(_ id: UInt64) -> Waiter? {
            guard let index = waiting[head...].firstIndex(where: { $0?.id == id }) else { return nil }
            defer {
                waiting[index] = nil
                trim()
            }
            return waiting[index]
        }

        /// A queue that never empties during a rush must not keep every waiter it had.
        private mutating func trim() {
            while head < waiting.count, waiting[head] == nil { head += 1 }
            if head == waiting.count {
                waiting.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 64, head * 2 >= waiting.count {
                waiting.removeFirst(head)
                head = 0
            }
        }
    }

    /// - Parameters:
    ///   - limit: at least 1.
    ///   - maxWait: the longest a checkout waits in a queue that does not move before it is refused.
    package init(limit: Int, maxWait: Duration = PostgresDatabaseDriver.connectionWait) {
        precondition(limit >= 1, "an admission lets at least one checkout run")
        self.limit = limit
        self.maxWait = maxWait
    }

    /// Runs `body` once each of `variants` admits it, and gives the places up when it ends.
    /// - Throws: `DatabaseUnavailable` (503) after waiting `maxWait` in one variant's queue while
    ///   no checkout of the variant ended,
    ///   `CancellationError` when cancelled while waiting, and what `body` throws.
    package func admitted<T>(to variants: [VariantID], _ body: () async throws -> T) async throws -> T {
        var entered: [VariantID] = []
        defer { for variant in entered.reversed() { leave(variant) } }
        for variant in Set(variants).sorted() {
            try Task.checkCancellation()
            try await enter(variant)
            entered.append(variant)
        }
        // Cancelled as its turn came: the places go to the next at once.
        try Task.checkCancellation()
        return try await body()
    }

    /// Checkouts of `variant` running or waiting, for tests.
    package func count(_ variant: VariantID) -> (running: Int, waiting: Int) {
        lines.withLock { lines in lines[variant].map { ($0.running, $0.waiting[$0.head...].count { $0 != nil }) } ?? (0, 0) }
    }

    /// Variants with a checkout running or waiting, for tests: one with nobody left is forgotten.
    package var variantsQueued: Int { lines.withLock(\.count) }

    /// Takes a place of `variant`, waiting in its queue when all are taken.
    private func enter(_ variant: VariantID) async throws {
        let limit = self.limit
        // In place (`default:`), so that a long queue is not copied under the lock.
        if lines.withLock({ $0[variant, default: Line()].enter(limit: limit) }) { return }
        let id = lastWaiter.wrappingAdd(1, ordering: .relaxed).newValue
        let turn = await withTaskCancellationHandler {
            await withCheckedContinuation { (turn: CheckedContinuation<Turn, Never>) in
                // Under the lock with `onCancel`'s removal: a cancellation either comes first and is
                // seen here, or finds the waiter in the queue.
                let step = lines.withLock { lines -> (entered: Bool, watch: Bool)? in
                    if Task.isCancelled { return nil }
                    return lines[variant, default: Line()].enterOrQueue(Waiter(id: id, since: .now, turn: turn), limit: limit)
                }
                switch step {
                case nil: turn.resume(returning: .cancelled)
                case (entered: true, _)?: turn.resume(returning: .admitted)
                case (entered: false, watch: true)?: Task.detached { await self.watch(variant, as: id) }
                case (entered: false, watch: false)?: break
                }
            }
        } onCancel: {
            lines.withLock { $0[variant]?.remove(id) }?.turn.resume(returning: .cancelled)
        }
        switch turn {
        case .admitted: return
        case .cancelled: throw CancellationError()
        case .timedOut: throw DatabaseUnavailable.queueStalled(for: maxWait)
        }
    }

    private func leave(_ variant: VariantID) {
        let next = lines.withLock { lines -> Waiter? in
            guard lines[variant] != nil else {
                assertionFailure("left a variant never entered")
                return nil
            }
            let next = lines[variant]?.leave()
            if lines[variant]?.isIdle == true { lines[variant] = nil }
            return next
        }
        next?.turn.resume(returning: .admitted)
    }

    /// Sends the waiters of `variant` who waited `maxWait` away, until its queue is empty or another
    /// watcher took over (after the line was forgotten and made again). One task per queue: waiters
    /// leave in the order they came, so only the first one's time matters.
    private func watch(_ variant: VariantID, as watcher: UInt64) async {
        while true {
            let due = lines.withLock { lines -> ContinuousClock.Instant? in
                guard lines[variant]?.watcher == watcher else { return nil }
                guard let first = lines[variant]?.first else {
                    lines[variant]?.watcher = nil
                    return nil
                }
                return max(first.since, lines[variant]?.progress ?? first.since) + maxWait
            }
            guard let due else { return }
            do {
                try await Task.sleep(until: due, clock: .continuous)
            } catch {
                lines.withLock { lines in if lines[variant]?.watcher == watcher { lines[variant]?.watcher = nil } }
                return
            }
            let now = ContinuousClock.now
            let late = lines.withLock { lines -> [Waiter] in
                var late: [Waiter] = []
                guard let progress = lines[variant]?.progress, progress + maxWait <= now else { return late }
                while let first = lines[variant]?.first, first.since + maxWait <= now, let waiter = lines[variant]?.remove(first.id) {
                    late.append(waiter)
                }
                return late
            }
            for waiter in late { waiter.turn.resume(returning: .timedOut) }
        }
    }
}
