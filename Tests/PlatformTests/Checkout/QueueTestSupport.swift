import Synchronization
import Testing

/// Helpers of the tests of queues (`SeatAdmissionTests`, `CheckoutBatchesTests`): each wait is
/// bounded, so a broken queue fails its test instead of hanging the suite.

struct NeverHeld: Error {}

/// Ran to its end without an error.
struct Succeeded: Error {}

/// What `body`, run in a task of its own, ends with: nil while it runs, so that a test can wait for
/// it with a bound (awaiting the task's value would hang the test with a broken queue).
func outcome(_ body: @escaping @Sendable () async throws -> Void) -> Shared<(any Error)?> {
    let ended = Shared<(any Error)?>(nil)
    Task {
        do {
            try await body()
            ended.value.withLock { $0 = Succeeded() }
        } catch {
            ended.value.withLock { $0 = error }
        }
    }
    return ended
}

/// Waits until `condition` holds, looking every millisecond; fails after 20 s.
func until(_ condition: () async throws -> Bool, _ what: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let deadline = ContinuousClock.now + .seconds(20)
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(1))
    }
    Issue.record("the condition never held \(what())", sourceLocation: sourceLocation)
    throw NeverHeld()
}

final class Shared<Value: Sendable>: Sendable {
    let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
}

/// A door a task waits at until the test opens it.
final class Gate: Sendable {
    let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { waiter in
            let open = state.withLock { state in
                if !state.open { state.waiters.append(waiter) }
                return state.open
            }
            if open { waiter.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
