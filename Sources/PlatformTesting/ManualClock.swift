import Platform
import Synchronization

/// A clock that stands still until a test moves it.
package final class ManualClock: WallClock {
    private let current: Mutex<Timestamp>

    package init(_ start: Timestamp = Timestamp(rfc3339: "2026-06-01T12:00:00Z")!) {
        self.current = Mutex(start)
    }

    package func now() -> Timestamp { current.withLock { $0 } }

    package func advance(minutes: Int64) {
        current.withLock { $0 = $0.adding(minutes: minutes) }
    }

    package func advance(seconds: Int64) {
        current.withLock { $0 = $0.adding(seconds: seconds) }
    }

    package func set(_ time: Timestamp) { current.withLock { $0 = time } }
}
