import Synchronization

/// Bounds how long a caller waits for a pooled connection. PostgresNIO's pool keeps a caller
/// waiting for as long as the server cannot be reached (vapor/postgres-nio#565), and in the
/// crash campaign a wait begun while PostgreSQL restarted never ended: the inbox worker stopped
/// for good while requests were served again. A caller with no connection after the timeout gets
/// `DatabaseUnavailable`, and its work never runs: the work starts only while someone waits for it.
enum ConnectionLease {
    /// Runs `lease` (which takes a connection, calls `begin`, then works) for a caller that waits at
    /// most `timeout` for `begin`; once begun, the work runs to its end as before.
    /// - Throws: `DatabaseUnavailable` after `timeout` without a connection; `CancellationError` when
    ///   the caller is cancelled first; else what `lease` throws.
    static func bounded<T: Sendable>(within timeout: Duration,
                                     _ lease: @escaping @Sendable (_ begin: @escaping @Sendable () throws -> Void) async throws -> T)
        async throws -> T {
        let gate = LeaseGate<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard gate.wait(continuation) else { return }
                let work = Task {
                    do { gate.finish(.success(try await lease { try gate.begin() })) } catch { gate.finish(.failure(error)) }
                }
                let watchdog = Task {
                    try? await Task.sleep(for: timeout)
                    if !Task.isCancelled { gate.giveUp(DatabaseUnavailable(reason: "no connection within \(timeout)")) }
                }
                gate.track(work: work, watchdog: watchdog)
            }
        } onCancel: {
            gate.giveUp(CancellationError())
        }
    }
}

extension ConnectionLease {
    /// Runs `work` on a connection until it ends or the connection closes, whichever is first. A
    /// PostgreSQL restart in the middle of a transaction left the transaction's query waiting for
    /// ever on its closed connection (the crash campaign's inbox worker); the caller now hears
    /// `DatabaseUnavailable` when the connection closes, and the server rolled the transaction back.
    /// `isClosed` is looked at once a second while the work runs (a callback on the connection's
    /// close would stay registered for the connection's whole life, one per request).
    static func untilClosed<T: Sendable>(_ isClosed: @escaping @Sendable () -> Bool,
                                         _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let gate = LeaseGate<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard gate.wait(continuation) else { return }
                try? gate.begin()
                let task = Task {
                    do { gate.finish(.success(try await work())) } catch { gate.finish(.failure(error)) }
                }
                let watch = Task {
                    while !Task.isCancelled && !isClosed() { try? await Task.sleep(for: .seconds(1)) }
                    // Give a query that fails with the connection the chance to say so itself.
                    try? await Task.sleep(for: .milliseconds(200))
                    if !Task.isCancelled { gate.finish(.failure(DatabaseUnavailable(reason: "the connection closed mid-request"))) }
                }
                gate.track(work: task, watchdog: watch)
            }
        } onCancel: {
            gate.giveUp(CancellationError())
        }
    }
}

/// Who answers the caller first: the work, or giving up (the timeout, the caller's cancellation)
/// before the work began.
final class LeaseGate<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var answered = false
        var begun = false
        var work: Task<Void, Never>?
        var watchdog: Task<Void, Never>?
    }
    private let state = Mutex(State())

    /// False when the caller was cancelled before it began to wait (it is answered at once).
    func wait(_ continuation: CheckedContinuation<T, any Error>) -> Bool {
        let answered = state.withLock { state in
            if !state.answered { state.continuation = continuation }
            return state.answered
        }
        if answered { continuation.resume(throwing: CancellationError()) }
        return !answered
    }

    func track(work: Task<Void, Never>, watchdog: Task<Void, Never>) {
        let answered = state.withLock { state in
            (state.work, state.watchdog) = (work, watchdog)
            return state.answered
        }
        if answered { watchdog.cancel() }
    }

    /// Called by the work once it has its connection.
    /// - Throws: `CancellationError` when the caller was answered already: the work must not run.
    func begin() throws {
        let gaveUp = state.withLock { state in
            if !state.answered { state.begun = true }
            return state.answered
        }
        if gaveUp { throw CancellationError() }
    }

    func finish(_ result: Result<T, any Error>) {
        let (continuation, watchdog) = state.withLock { state in
            defer { (state.continuation, state.answered) = (nil, true) }
            return (state.answered ? nil : state.continuation, state.watchdog)
        }
        watchdog?.cancel()
        continuation?.resume(with: result)
    }

    /// Answers the caller with `error` unless the work has begun (then the work answers, and a
    /// cancellation reaches it as it would in structured code).
    func giveUp(_ error: any Error) {
        let (continuation, work) = state.withLock { state -> (CheckedContinuation<T, any Error>?, Task<Void, Never>?) in
            if state.begun { return (nil, error is CancellationError ? state.work : nil) }
            guard !state.answered else { return (nil, nil) }
            defer { (state.continuation, state.answered) = (nil, true) }
            return (state.continuation, state.work)
        }
        work?.cancel()
        continuation?.resume(throwing: error)
    }
}
