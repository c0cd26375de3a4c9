import Synchronization

/// A fixed-window limit per client: at most `limit` requests a minute each.
public final class RateLimiter: Sendable {
    public let limit: Int
    private let clock: any WallClock
    private let windows = Mutex<[String: (start: Int64, count: Int)]>([:])

    public init(limitPerMinute: Int, clock: any WallClock) {
        self.limit = limitPerMinute
        self.clock = clock
    }

    /// nil when the request may go ahead, else the seconds until it may be retried.
    public func retryAfter(for client: String) -> Int? {
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
}
