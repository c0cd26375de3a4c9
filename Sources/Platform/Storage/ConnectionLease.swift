import Synchronization

/// Bounds how long a caller waits for a pooled connection, and how long it waits on a connection
/// that closed. PostgresNIO's pool keeps a caller waiting for as long as the server cannot be
/// reached (vapor/postgres-nio#565), and in the crash campaign a wait begun while PostgreSQL
/// restarted never ended: the inbox worker stopped for good while requests were served again. A
/// PostgreSQL restart in the middle of a transaction also left its query waiting for ever on the
/// closed connection. Both waits are now answered with `DatabaseUnavailable`; work that had no
/// connection in time never runs.
///
/// One watcher task (`LeaseWatch`) looks at every lease in flight 20 times a second, so a lease
/// costs two tasks and no timer of its own (it cost four tasks and two timers, on every query).
enum ConnectionLease {
    /// Runs `lease` (which takes a connection, calls `start`, then works) for a caller that waits at
    /// most `timeout` for `start`; once started, the work runs to its end as before, unless the
    /// connection `start` was given closes first.
    /// - Throws: `DatabaseUnavailable` after `timeout` without a connection, or 200 ms after the
    ///   started work's connection closed; `CancellationError` when the caller is cancelled before the
    ///   work started; else what `lease` throws.
    static func bounded<T: Sendable>(within timeout: Duration, _ lease: @escaping @Sendable (LeaseStart) async throws -> T) async throws -> T {
        let gate = LeaseGate<T>(timeout: timeout)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard gate.wait(continuation) else { return }
                let work = Task {
                    do { gate.finish(.success(try await lease(LeaseStart(gate: gate)))) } catch { gate.finish(.failure(error)) }
                }
                gate.track(work)
                LeaseWatch.shared.add(gate)
            }
        } onCancel: {
            gate.giveUp(CancellationError())
        }
    }
}

/// What a lease calls once it holds its connection, before it does any work.
struct LeaseStart: Sendable {
    fileprivate let gate: any WatchedLease

    /// - Throws: `CancellationError` when the caller was answered already: the work must not run.
    func callAsFunction() throws { try gate.start(watching: nil) }

    /// The same, for work on a connection that may close under it: `isClosed` is looked at while the
    /// work runs, and `work` runs in a task of its own so that the lease (and its connection) ends
    /// when the connection closes, even while the work still waits on it.
    func callAsFunction<T: Sendable>(watching isClosed: @escaping @Sendable () -> Bool,
                                     _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try gate.start(watching: isClosed)
        let inner = InnerWork<T>()
        gate.onClosed {
            inner.finish(.failure(DatabaseUnavailable(reason: "the connection closed mid-request")))
            inner.cancel()
        }
        // The work is a task of its own, so a cancellation of the lease is handed on to it.
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                inner.wait(continuation)
                inner.track(Task { do { inner.finish(.success(try await work())) } catch { inner.finish(.failure(error)) } })
            }
        } onCancel: {
            inner.cancel()
        }
    }
}

/// The result of work on a connection, or the news that the connection closed: whichever is first.
private final class InnerWork<T: Sendable>: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<T, any Error>?, early: Result<T, any Error>?, done: Bool)>((nil, nil, false))
    private let task = Mutex<(task: Task<Void, Never>?, cancelled: Bool)>((nil, false))

    func track(_ work: Task<Void, Never>) {
        let cancelled = task.withLock { state in
            state.task = work
            return state.cancelled
        }
        if cancelled { work.cancel() }
    }

    func cancel() {
        task.withLock { state in
            state.cancelled = true
            return state.task
        }?.cancel()
    }

    func wait(_ continuation: CheckedContinuation<T, any Error>) {
        let early = state.withLock { state -> Result<T, any Error>? in
            if let early = state.early { return early }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func finish(_ result: Result<T, any Error>) {
        let continuation = state.withLock { state -> CheckedContinuation<T, any Error>? in
            guard !state.done else { return nil }
            state.done = true
            guard let continuation = state.continuation else {
                state.early = result
                return nil
            }
            state.continuation = nil
            return continuation
        }
        continuation?.resume(with: result)
    }
}

/// A lease the watcher looks at: given up when it has waited too long for its connection, failed
/// when its connection closed.
private protocol WatchedLease: AnyObject, Sendable {
    func start(watching isClosed: (@Sendable () -> Bool)?) throws
    func onClosed(_ action: @escaping @Sendable () -> Void)
    /// Returns false once the lease needs no more watching.
    func check(at now: ContinuousClock.Instant) -> Bool
}

/// Who answers the caller first: the work, or giving up (the timeout, the caller's cancellation)
/// before the work began.
private final class LeaseGate<T: Sendable>: WatchedLease {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var answered = false
        var begun = false
        var work: Task<Void, Never>?
        var isClosed: (@Sendable () -> Bool)?
        var closedAction: (@Sendable () -> Void)?
        var closedSince: ContinuousClock.Instant?
    }
    private let state = Mutex(State())
    private let timeout: Duration
    private let deadline: ContinuousClock.Instant

    init(timeout: Duration) {
        self.timeout = timeout
        deadline = .now + timeout
    }

    /// False when the caller was cancelled before it began to wait (it is answered at once).
    func wait(_ continuation: CheckedContinuation<T, any Error>) -> Bool {
        let answered = state.withLock { state in
            if !state.answered { state.continuation = continuation }
            return state.answered
        }
        if answered { continuation.resume(throwing: CancellationError()) }
        return !answered
    }

    func track(_ work: Task<Void, Never>) {
        // A caller answered before the work was tracked (cancelled, timed out) never had it cancelled.
        let answeredUnbegun = state.withLock { state in
            state.work = work
            return state.answered && !state.begun
        }
        if answeredUnbegun { work.cancel() }
    }

    func start(watching isClosed: (@Sendable () -> Bool)?) throws {
        let gaveUp = state.withLock { state in
            if !state.answered { (state.begun, state.isClosed) = (true, isClosed) }
            return state.answered
        }
        if gaveUp { throw CancellationError() }
    }

    func onClosed(_ action: @escaping @Sendable () -> Void) {
        state.withLock { $0.closedAction = action }
    }

    func finish(_ result: Result<T, any Error>) {
        let continuation = state.withLock { state in
            defer { (state.continuation, state.answered, state.closedAction) = (nil, true, nil) }
            return state.answered ? nil : state.continuation
        }
        continuation?.resume(with: result)
    }

    /// Answers the caller with `error` unless the work has begun (then the work answers, and a
    /// cancellation reaches it as it would in structured code); true when it answered.
    @discardableResult
    func giveUp(_ error: any Error) -> Bool {
        let (continuation, work) = state.withLock { state -> (CheckedContinuation<T, any Error>?, Task<Void, Never>?) in
            if state.begun { return (nil, error is CancellationError ? state.work : nil) }
            guard !state.answered else { return (nil, nil) }
            defer { (state.continuation, state.answered) = (nil, true) }
            return (state.continuation, state.work)
        }
        work?.cancel()
        continuation?.resume(throwing: error)
        return continuation != nil
    }

    func check(at now: ContinuousClock.Instant) -> Bool {
        // `isClosed` is read outside the lock: it takes the connection's own.
        let (begun, isClosed) = state.withLock { ($0.begun, $0.isClosed) }
        let closedNow = begun && isClosed?() == true
        let step = state.withLock { state -> LeaseStep in
            if state.answered && state.closedAction == nil { return .done }
            if !state.begun { return now >= deadline ? .timedOut : .wait }
            guard closedNow else { return state.answered ? .done : .wait }
            let since = state.closedSince ?? now
            state.closedSince = since
            // Give a query that fails with the connection the chance to say so itself.
            guard now - since >= .milliseconds(200) else { return .wait }
            let action = state.closedAction
            state.closedAction = nil
            return action.map(LeaseStep.closed) ?? .done
        }
        switch step {
        case .done: return false
        case .wait: return true
        case .timedOut:
            // The work may have begun since: then it is watched on, for its connection.
            return !giveUp(DatabaseUnavailable(reason: "no connection within \(timeout)"))
        case let .closed(action):
            action()
            return false
        }
    }
}

/// What the watcher does with a lease it looked at.
private enum LeaseStep {
    case done, wait, timedOut, closed(@Sendable () -> Void)
}

/// The one task that watches every lease in flight; it runs while there is one.
private final class LeaseWatch: Sendable {
    static let shared = LeaseWatch()
    private let state = Mutex<(leases: [ObjectIdentifier: any WatchedLease], running: Bool)>(([:], false))

    func add(_ lease: any WatchedLease) {
        let start = state.withLock { state in
            state.leases[ObjectIdentifier(lease)] = lease
            defer { state.running = true }
            return !state.running
        }
        if start { Task.detached { await self.run() } }
    }

    private func run() async {
        while true {
            try? await Task.sleep(for: .milliseconds(50))
            let leases = state.withLock { state -> [any WatchedLease]? in
                if state.leases.isEmpty {
                    state.running = false
                    return nil
                }
                return Array(state.leases.values)
            }
            guard let leases else { return }
            let now = ContinuousClock.now
            let finished = leases.filter { !$0.check(at: now) }.map(ObjectIdentifier.init)
            if !finished.isEmpty { state.withLock { state in for id in finished { state.leases[id] = nil } } }
        }
    }
}
