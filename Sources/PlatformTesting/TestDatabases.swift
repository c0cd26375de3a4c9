import Foundation
import Logging
import Platform
import SQLKit
import Synchronization

/// The engines a storage test runs on. SQLite always; PostgreSQL when `TEST_DATABASE_URL` is set,
/// and always under `CI=true`, where a missing database makes the PostgreSQL cases fail, not vanish.
package enum TestEngines {
    package static var environment: [String: String] { ProcessInfo.processInfo.environment }
    package static var postgresURL: String? { environment["TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 } }
    package static var isCI: Bool { (environment["CI"] ?? "").lowercased() == "true" }

    package static var all: [DatabaseEngine] {
        postgresURL != nil || isCI ? [.sqlite, .postgres] : [.sqlite]
    }
}

/// Bounds the PostgreSQL test databases open at once (`TEST_DATABASE_SLOTS`, 32 by default: 160
/// connections of the server's 300), so that a growing suite waits for a slot instead of being refused.
actor PostgresTestSlots {
    static let shared = PostgresTestSlots(slots: Int(TestEngines.environment["TEST_DATABASE_SLOTS"] ?? "") ?? 32)
    private var free: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(slots: Int) { free = max(1, slots) }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { free += 1 } else { waiters.removeFirst().resume() }
    }
}

package struct TestDatabaseError: Error, CustomStringConvertible {
    package let description: String
    package init(description: String) { self.description = description }
}

/// A fresh, migrated database for one test: a temporary SQLite file, or a new PostgreSQL schema.
/// `withTestDatabase` removes it afterwards.
package func withTestDatabase<T: Sendable>(
    _ engine: DatabaseEngine, _ body: (any Database) async throws -> T
) async throws -> T {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    switch engine {
    case .sqlite:
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("platform-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try await DatabaseFactory.open(url: "sqlite:" + directory.appendingPathComponent("test.sqlite").path, logger: logger)
        return try await migratedRun(database, logger: logger, body).outcome.get()
    case .postgres:
        guard let url = TestEngines.postgresURL else {
            throw TestDatabaseError(description: "CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests cannot run")
        }
        // Every test runs at once; each schema holds up to five connections, and the server allows 300.
        await PostgresTestSlots.shared.acquire()
        do {
            let result = try await postgresRun(url: url, logger: logger, body)
            await PostgresTestSlots.shared.release()
            return result
        } catch {
            await PostgresTestSlots.shared.release()
            throw error
        }
    }
}

/// A new schema for one test, dropped afterwards (unless its pool would not close: see `closeWithin`).
private func postgresRun<T: Sendable>(url: String, logger: Logger, _ body: (any Database) async throws -> T) async throws -> T {
    let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
    let admin = try await DatabaseFactory.open(url: url, logger: logger, startupTimeout: testStartupTimeout)
    let separator = url.contains("?") ? "&" : "?"
    var outcome: Result<T, any Error>
    var stuck = false
    do {
        try await admin.transaction { sql in try await sql.raw("CREATE SCHEMA \(unsafeRaw: schema)").run() }
        let database = try await DatabaseFactory.open(url: url + separator + "search_path=\(schema)&pool_size=4", logger: logger,
                                                      startupTimeout: testStartupTimeout)
        let run = await migratedRun(database, logger: logger, body)
        (outcome, stuck) = (run.outcome, !run.closed)
    } catch {
        outcome = .failure(error)
    }
    // A pool that would not close may still hold locks on the schema's tables, which DROP would
    // wait for without end: its schema is left on the throwaway test server instead.
    if !stuck {
        do {
            try await admin.transaction { sql in try await sql.raw("DROP SCHEMA IF EXISTS \(unsafeRaw: schema) CASCADE").run() }
        } catch {
            if case .success = outcome { outcome = .failure(error) }
        }
    }
    await closeWithin(admin, what: "the admin pool of \(schema)")
    return try outcome.get()
}

/// The whole suite runs at once on two cores, where a first connection can wait longer than the
/// 10 s a server allows itself at start-up; a test is not about how fast PostgreSQL answers. The
/// first query waits at most the pool's 30 s for its connection as well.
private let testStartupTimeout: Duration = .seconds(30)

/// Migrates `database`, runs `body` on it and closes it; `closed` is false when the close did not
/// end in time.
private func migratedRun<T: Sendable>(_ database: any Database, logger: Logger,
                                      _ body: (any Database) async throws -> T) async -> (outcome: Result<T, any Error>, closed: Bool) {
    let outcome: Result<T, any Error>
    do {
        try await Migrator.load(directory: Migrator.defaultDirectory(), engine: database.engine).migrate(database, logger: logger)
        outcome = .success(try await body(database))
    } catch {
        outcome = .failure(error)
    }
    return (outcome, await closeWithin(database, what: "a test database"))
}

/// Closes `database`, waiting at most `limit`; true when it closed in time. A close that has not
/// returned by then is named on standard error and left to finish on its own, so that one stuck
/// pool cannot keep its test, and the PostgreSQL slot that test holds, from ending (its few
/// connections then count against the server's limit beside the slots').
@discardableResult
private func closeWithin(_ database: any Database, what: String, limit: Duration = .seconds(60)) async -> Bool {
    let waiter = Waiter()
    return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
        waiter.continuation.withLock { $0 = continuation }
        let timer = Task {
            try? await Task.sleep(for: limit)
            guard !Task.isCancelled, let continuation = waiter.take() else { return }
            FileHandle.standardError.write(Data("closing \(what) took more than \(limit); the test goes on without it\n".utf8))
            continuation.resume(returning: false)
        }
        Task {
            await database.close()
            timer.cancel()
            waiter.take()?.resume(returning: true)
        }
    }
}

/// The one continuation of `closeWithin`, resumed by whichever of the close and the timer ends first.
private final class Waiter: Sendable {
    let continuation = Mutex<CheckedContinuation<Bool, Never>?>(nil)
    func take() -> CheckedContinuation<Bool, Never>? { continuation.withLock { $0.take() } }
}

/// Row counts of the given tables (the rows matching `condition`): a rejected request must leave
/// every one unchanged, the audit log included.
package func rowCounts(_ database: any Database, tables: [String] = ["organizers", "api_keys", "events", "ticket_variants", "audit_log"],
                       where condition: String = "1 = 1") async throws -> [String: Int] {
    try await database.read { sql in
        var counts: [String: Int] = [:]
        struct Count: Decodable { let n: Int }
        for table in tables {
            counts[table] = try await sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table) WHERE \(unsafeRaw: condition)")
                .first(decoding: Count.self)?.n ?? -1
        }
        return counts
    }
}
