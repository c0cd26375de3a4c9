import PluginKit

/// Retry delays of the inbox and the outbox.
enum Backoff {
    /// 2, 4, 8 ... seconds, capped at an hour, with up to 20% jitter so retries spread out.
    package static func seconds(attempt: Int) -> Int64 {
        let base = Int64(1) << Int64(min(max(attempt, 1), 12))
        let capped = min(base, 3600)
        return capped + Int64.random(in: 0...max(0, capped / 5))
    }
}
