import Logging
import PluginKit
import SQLKit

package enum DatabaseEngine: String, Sendable, CaseIterable, CustomStringConvertible {
    case sqlite
    case postgres
    package var description: String { rawValue }

    /// The engine behind a connection, for code that is handed only the connection (observers).
    package init(of sql: any SQLDatabase) {
        self = sql.dialect.name == "postgresql" ? .postgres : .sqlite
    }
}

/// One SQL layer over two engines. Repositories take the `SQLDatabase` handed to them, so the same
/// repository call works alone or inside a transaction.
package protocol Database: Sendable {
    var engine: DatabaseEngine { get }
    /// Runs reads that need no transaction; on SQLite they never wait for the writer.
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Runs `body` where each statement commits on its own: for a write that is one statement (atomic
    /// by itself), without the round trips of BEGIN and COMMIT. On SQLite it is a transaction.
    func autocommit<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    func close() async
}

extension Database {
    package func autocommit<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await transaction(body)
    }

    /// True when the database answers a trivial query.
    func ping() async -> Bool {
        (try? await read { sql in try await sql.raw("SELECT 1 AS one").first() != nil }) ?? false
    }
}

extension SQLDatabase {
    /// Runs `body` between `begin` and COMMIT on this one connection, rolling back when it throws.
    /// BEGIN and COMMIT are prepared statements, so a PostgreSQL transaction parses neither.
    func inTransaction<T: Sendable>(begin: some PreparedStatement = Begin(),
                                    _ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        _ = try await execute(begin)
        let noted = CatalogChanges.Noted()
        do {
            let result = try await CatalogChanges.$transaction.withValue(noted) { try await body(self) }
            _ = try await execute(Commit())
            CatalogChanges.committed(noted)
            return result
        } catch {
            try? await raw("ROLLBACK").run()
            throw error
        }
    }
}

struct Begin: PreparedStatement {
    static let name = "platform_begin", sql = "BEGIN"
    var values: [StatementValue] { [] }
}

/// SQLite's writer takes its lock at once, so that two writers never deadlock upgrading a read lock.
struct BeginImmediate: PreparedStatement {
    static let name = "platform_begin_immediate", sql = "BEGIN IMMEDIATE"
    var values: [StatementValue] { [] }
}

struct Commit: PreparedStatement {
    static let name = "platform_commit", sql = "COMMIT"
    var values: [StatementValue] { [] }
}

/// The database could not be reached (restarting, shutting down, the connection dropped), or the
/// checkouts ahead of this one on its ticket are stuck there: the request may be tried again in a
/// moment. Answered 503 with `Retry-After`; nothing was written.
package struct DatabaseUnavailable: Error, CustomStringConvertible {
    /// What the driver said, without the connection's settings: for the log only.
    package let reason: String
    /// What the client is told (the problem's detail).
    package let detail: String
    package var description: String { "the database is unavailable (\(reason))" }

    package init(reason: String, detail: String = "the database cannot be reached right now; nothing was changed, try again in a moment") {
        self.reason = reason
        self.detail = detail
    }

    /// A checkout that waited `maxWait` in its ticket's queue (`SeatAdmission`, `CheckoutBatches`)
    /// while none of the checkouts ahead of it finished: the database is reachable, but their work
    /// in it is stuck (a lock held, a slow disk).
    package static func queueStalled(for maxWait: Duration) -> DatabaseUnavailable {
        DatabaseUnavailable(reason: "the checkouts ahead of this one on its ticket have not moved for \(maxWait)",
                            detail: "the checkouts ahead of this one for the same ticket have not finished for \(maxWait.components.seconds) s; "
                                + "nothing was changed, try again in a moment")
    }
}

/// Opens the database a URL names: `postgres://` / `postgresql://` for PostgreSQL, `sqlite:PATH`
/// (or no URL at all: `./data/platform.sqlite`) for the embedded default.
package enum DatabaseFactory {
    static let defaultSQLitePath = "./data/platform.sqlite"

    /// Where a database URL points.
    package enum Location: Sendable, Equatable {
        case sqlite(path: String)
        case postgres(url: String)
    }

    /// - Throws: `DatabaseConfigurationError` for a URL of neither engine.
    package static func location(of url: String?) throws -> Location {
        let text = url?.trimmingCharacters(in: .whitespaces) ?? ""
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") { return .postgres(url: text) }
        if text.isEmpty { return .sqlite(path: defaultSQLitePath) }
        if text.hasPrefix("sqlite:") {
            var path = String(text.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else { throw DatabaseConfigurationError("DATABASE_URL sqlite: needs a file path") }
            return .sqlite(path: path)
        }
        throw DatabaseConfigurationError("DATABASE_URL must start with postgres://, postgresql:// or sqlite:")
    }

    /// `startupTimeout` bounds the first PostgreSQL connection, so a wrong URL fails start-up promptly.
    package static func open(url: String?, logger: Logger, startupTimeout: Duration = .seconds(10)) async throws -> any Database {
        switch try location(of: url) {
        case let .postgres(url): try await PostgresDatabaseDriver.open(url: url, logger: logger, startupTimeout: startupTimeout)
        case let .sqlite(path): try await SQLiteDatabaseDriver.open(path: path, logger: logger)
        }
    }

    /// Opens the database and applies pending migrations (from MIGRATIONS_DIR, else the project's
    /// own); closes it again when they fail.
    package static func openMigrated(url: String?, environment: [String: String], logger: Logger) async throws -> any Database {
        let database = try await open(url: url, logger: logger)
        do {
            try await Migrator.load(directory: Migrator.defaultDirectory(environment: environment), engine: database.engine)
                .migrate(database, logger: logger)
        } catch {
            await database.close()
            throw error
        }
        return database
    }
}

package struct DatabaseConfigurationError: Error, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}
