@testable import Platform
import Logging
import Synchronization
import Testing

/// The bound on waiting for a pooled connection: a lease that never comes is a 503, and the work
/// it would have done never runs.
@Suite struct ConnectionLeaseTests {
    final class Record: Sendable {
        let ran = Mutex(false)
        let release = Mutex<CheckedContinuation<Void, Never>?>(nil)
    }

    @Test func anUnreachableDatabaseIsAnswered503WithRetryAfterAndNoReason() {
        let problem = Problem.from(DatabaseUnavailable(reason: "connection to 10.0.0.7:5432 refused"), maxBodyBytes: 1_000,
                                   logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        #expect(problem.status == .serviceUnavailable && problem.kind == "database-unavailable")
        #expect(problem.headers[.retryAfter] == "1")
        #expect(!problem.detail.contains("10.0.0.7"), "the driver's reason stays in the log")
        #expect(problem.detail.contains("cannot be reached"))
    }

    /// A checkout refused after waiting behind stuck ones is told that, not that the database is down.
    @Test func aStalledQueueIsAnswered503NamingTheQueue() {
        let problem = Problem.from(DatabaseUnavailable.queueStalled(for: .seconds(30)), maxBodyBytes: 1_000,
                                   logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        #expect(problem.status == .serviceUnavailable && problem.kind == "database-unavailable")
        #expect(problem.headers[.retryAfter] == "1")
        #expect(problem.detail == "the checkouts ahead of this one for the same ticket have not finished for 30 s; nothing was changed, try again in a moment")
    }

    @Test func aLeaseInTimeRunsItsWork() async throws {
        let answer = try await ConnectionLease.bounded(within: .seconds(5)) { begin in
            try begin()
            return 42
        }
        #expect(answer == 42)
    }

    @Test func workThatBeganIsNeverCutByTheTimeout() async throws {
        let answer = try await ConnectionLease.bounded(within: .milliseconds(50)) { begin in
            try begin()
            try await Task.sleep(for: .milliseconds(300))
            return "done"
        }
        #expect(answer == "done")
    }

    @Test func noConnectionInTimeIsUnavailableAndTheWorkNeverRuns() async throws {
        let record = Record()
        await #expect(throws: DatabaseUnavailable.self) {
            try await ConnectionLease.bounded(within: .milliseconds(100)) { begin in
                // A pool that hands the connection out only after the caller gave up.
                await withCheckedContinuation { continuation in record.release.withLock { $0 = continuation } }
                try begin()
                record.ran.withLock { $0 = true }
                return 1
            }
        }
        for _ in 0..<100 where record.release.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
        record.release.withLock { $0?.resume(); $0 = nil }
        try await Task.sleep(for: .milliseconds(100))
        #expect(!record.ran.withLock { $0 }, "the work began after its caller was answered")
    }

    /// Work waiting for ever on a connection that closed (a PostgreSQL restart mid-transaction) is
    /// answered 503 and its lease ends, so the pool gets the connection back.
    @Test func workOnAClosedConnectionIsUnavailableAndTheLeaseEnds() async throws {
        let closed = Mutex(false)
        let leaseEnded = Mutex(false)
        let clock = ContinuousClock()
        let began = clock.now
        await #expect(throws: DatabaseUnavailable.self) {
            try await ConnectionLease.bounded(within: .seconds(120)) { start in
                defer { leaseEnded.withLock { $0 = true } }
                return try await start(watching: { closed.withLock { $0 } }) {
                    closed.withLock { $0 = true }
                    // A query on the closed connection that never answers.
                    try await Task.sleep(for: .seconds(3_600))
                    return 1
                }
            }
        }
        // Answered because the close was seen (about 200 ms after it on an idle machine; 3.9 s once
        // with every suite running on two loaded cores), not by the lease's deadline.
        #expect(clock.now - began < .seconds(60), "answered once the close was seen, before the deadline")
        #expect(leaseEnded.withLock { $0 })
    }

    /// A caller cancelled while its work runs on the connection cancels that work, as structured
    /// code would (a worker shut down mid-query, a request whose client went away).
    @Test func cancellingACallerWhoseWorkBeganCancelsTheWork() async throws {
        let record = Record()
        let started = Mutex(false)
        let caller = Task {
            try await ConnectionLease.bounded(within: .seconds(5)) { start in
                try await start(watching: { false }) {
                    started.withLock { $0 = true }
                    do {
                        try await Task.sleep(for: .seconds(3_600))
                    } catch {
                        record.ran.withLock { $0 = true }
                        throw error
                    }
                    return 1
                }
            }
        }
        for _ in 0..<200 where !started.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        #expect(record.ran.withLock { $0 }, "the work's sleep was cancelled")
    }

    @Test func workOnAnOpenConnectionIsNeverCut() async throws {
        let answer = try await ConnectionLease.bounded(within: .milliseconds(50)) { start in
            try await start(watching: { false }) {
                try await Task.sleep(for: .milliseconds(400))
                return "done"
            }
        }
        #expect(answer == "done")
    }

    @Test func aCallerCancelledWhileWaitingIsAnsweredAtOnce() async throws {
        let record = Record()
        let caller = Task {
            try await ConnectionLease.bounded(within: .seconds(30)) { begin in
                await withCheckedContinuation { continuation in record.release.withLock { $0 = continuation } }
                try begin()
                record.ran.withLock { $0 = true }
                return 1
            }
        }
        for _ in 0..<100 where record.release.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        record.release.withLock { $0?.resume(); $0 = nil }
        try await Task.sleep(for: .milliseconds(100))
        #expect(!record.ran.withLock { $0 })
    }
}
