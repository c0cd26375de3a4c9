import PluginKit
import Synchronization

/// A fixed-window limit per client: at most `limit` requests a minute each.
package final class RateLimiter: Sendable {
    package let limit: Int
    private let clock: any WallClock
    private let windows = Mutex<[String: (start: Int64, count: Int)]>([:])

    package init(limitPerMinute: Int, clock: any WallClock) {
        self.limit = limitPerMinute
        self.clock = clock
    }

    /// nil when the request may go ahead, else the seconds until it may be retried.
    package func retryAfter(for client: String) -> Int? {
        let now = clock.now().milliseconds
        let window = now - now % 60_000
        return windows.withLock { windows in
            if windows.count > 50_000 { windows = windows.filter { $0.value.start == window } }
            var entry = windows[client] ?? (window, 0)
            if entry.start != window { entry = (window, 0) }
            guard entry.count < limit else { return Int((window + 60_000 - now + 999) / 1000) }
            entry.count += 1
            windows[client] = entry
            return nil
        }
    }

    /// Throws a 429 problem with `Retry-After` when `client` is over the limit; `what` names what is
    /// counted and `per` the kind of client ("orders", "one client").
    package func enforce(_ client: String, counting what: String, per who: String) throws(Problem) {
        guard let wait = retryAfter(for: client) else { return }
        var problem = Problem(.tooManyRequests, kind: "rate-limited", title: "Too many requests",
                              detail: "at most \(limit) \(what) a minute from \(who); retry in \(wait) s")
        problem.headers[.retryAfter] = String(wait)
        throw problem
    }
}
