import Foundation
import Logging
import NIOCore
import NIOPosix
import PluginKit
import SQLiteKit
import SQLKit
import Synchronization

/// SQLite in WAL mode: one writer connection behind a lock (transactions begin IMMEDIATE so a
/// writer never has to upgrade a read lock and deadlock), plus reader connections that WAL lets run
/// beside it.
final class SQLiteDatabaseDriver: Database {
    let engine = DatabaseEngine.sqlite
    private let writer: SQLiteConnection
    private let readers: [SQLiteConnection]
    private let writeLock = AsyncMutex()
    private let nextReader = Mutex(0)
    private let logger: Logger

    private init(writer: SQLiteConnection, readers: [SQLiteConnection], logger: Logger) {
        self.writer = writer
        self.readers = readers
        self.logger = logger
    }

    static func open(path: String, readerCount: Int = 2, logger: Logger) async throws -> SQLiteDatabaseDriver {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func connect() async throws -> SQLiteConnection {
            let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            let sql = connection.sql(queryLogLevel: nil)
            try await sql.raw("PRAGMA busy_timeout = 5000").run()
            try await sql.raw("PRAGMA foreign_keys = ON").run()
            return connection
        }
        let writer = try await connect()
        try await writer.sql(queryLogLevel: nil).raw("PRAGMA journal_mode = WAL").run()
        try await writer.sql(queryLogLevel: nil).raw("PRAGMA synchronous = NORMAL").run()
        var readers: [SQLiteConnection] = []
        for _ in 0..<max(1, readerCount) { readers.append(try await connect()) }
        return SQLiteDatabaseDriver(writer: writer, readers: readers, logger: logger)
    }

    /// Reads that need no transaction use a reader connection and never wait for the writer.
    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let index = nextReader.withLock { value in
            value = (value + 1) % readers.count
            return value
        }
        return try await body(readers[index].sql(queryLogLevel: nil))
    }

    func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await writeLock.withLock {
            try await writer.sql(queryLogLevel: nil).inTransaction(begin: BeginImmediate(), body)
        }
    }

    func close() async {
        for connection in readers { try? await connection.close() }
        try? await writer.close()
    }
}
