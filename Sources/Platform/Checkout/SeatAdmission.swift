import Synchronization

/// Lets at most `limit` checkouts of one variant run their seat-taking transaction at a time in this
/// process; the others wait here, first come first served, holding no connection.
///
/// Why: a hot variant's row is locked from the update that takes its seats to the commit, so its
/// checkouts run one after another whatever the number of buyers. Queued on that lock inside
/// PostgreSQL, each waiting checkout holds a connection, an open transaction and a backend, and each
/// commit hands the row to the next waiter there. With 32 buyers on one variant and no admission,
/// PostgreSQL spent 2.1-2.4 ms of CPU per order request and p99 was 400-460 ms; admitting 4 at a
/// time, 1.0-1.3 ms and 73-86 ms, with 30-55% more orders placed a second (docs/performance.md).
/// Waiting here costs a continuation. The database's conditional update still decides who gets the
/// last seat, across processes too.
package final class SeatAdmission: Sendable {
    /// Measured with 2, 3, 4 and 8: 2 leaves the row idle between commits, more than 4 gains nothing
    /// and queues more inside PostgreSQL.
    package static let perVariant = 4
    /// Seat-taking transactions of one variant let run at once: enough to keep its row busy while
    /// the next ones do their statements before the seat update.
    package let limit: Int
    private let lines = Mutex<[VariantID: Line]>([:])

    private struct Line {
        var running = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
        var head = 0
    }

    /// - Parameter limit: at least 1.
    package init(limit: Int) {
        precondition(limit >= 1, "an admission lets at least one checkout run")
        self.limit = limit
    }

    /// Runs `body` once each of `variants` admits it, taking them in a fixed order so that two carts
    /// never wait on each other; rethrows what `body` throws.
    package func admitted<T>(to variants: [VariantID], _ body: () async throws -> T) async throws -> T {
        let ordered = Array(Set(variants)).sorted()
        for variant in ordered { await enter(variant) }
        defer { for variant in ordered.reversed() { leave(variant) } }
        return try await body()
    }

    /// Checkouts of `variant` running or waiting, for tests.
    package func count(_ variant: VariantID) -> (running: Int, waiting: Int) {
        lines.withLock { lines in lines[variant].map { ($0.running, $0.waiting.count - $0.head) } ?? (0, 0) }
    }

    /// Variants with a checkout running or waiting, for tests: one with nobody left is forgotten.
    package var variantsQueued: Int { lines.withLock(\.count) }

    private func enter(_ variant: VariantID) async {
        if enterOrQueue(variant, nil) { return }
        await withCheckedContinuation { waiter in
            // Another checkout may have left since the first try: then this one enters at once.
            if enterOrQueue(variant, waiter) { waiter.resume() }
        }
    }

    /// Takes a place if one is free; else queues `waiter`, if given.
    private func enterOrQueue(_ variant: VariantID, _ waiter: CheckedContinuation<Void, Never>?) -> Bool {
        lines.withLock { lines in
            var line = lines[variant, default: Line()]
            defer { lines[variant] = line }
            guard line.running < limit else {
                if let waiter { line.waiting.append(waiter) }
                return false
            }
            line.running += 1
            return true
        }
    }

    /// Hands the place to the first waiter, or frees it; a variant with nobody left is forgotten.
    private func leave(_ variant: VariantID) {
        let next: CheckedContinuation<Void, Never>? = lines.withLock { lines in
            guard var line = lines[variant] else { return nil }
            if line.head < line.waiting.count {
                let next = line.waiting[line.head]
                line.head += 1
                if line.head == line.waiting.count {
                    line.waiting.removeAll(keepingCapacity: true)
                    line.head = 0
                }
                lines[variant] = line
                return next
            }
            line.running -= 1
            lines[variant] = line.running == 0 ? nil : line
            return nil
        }
        next?.resume()
    }
}
