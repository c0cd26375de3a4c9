import ArgumentParser
import Foundation
import Logging
import Platform

/// `platform backup FILE`: a consistent copy of the database while the platform runs.
struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the database to FILE while the platform runs (SQLite: VACUUM INTO, one consistent snapshot); for PostgreSQL, print the pg_dump command that does it.")

    @Argument(help: "The file to write; it must not exist.") var file: String

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        switch try DatabaseFactory.location(of: try PlatformConfig.fromEnvironment(environment).databaseURL) {
        case let .postgres(url):
            print(try PostgresTools.command("pg_dump", ["--format=custom", "--file=\(file)"], url: url))
        case let .sqlite(path):
            guard !FileManager.default.fileExists(atPath: file) else { throw ValidationError("\(file) exists: back up into a new file") }
            let target = file
            try await Runtime.run { runtime in
                // VACUUM INTO reads one snapshot of the database, beside its writers, and writes a compact copy.
                try await runtime.database.read { sql in try await sql.raw("VACUUM INTO \(bind: target)").run() }
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
            print("backed up \(path) to \(file) (\(size) bytes)")
        }
    }
}

/// `platform restore FILE`: the database replaced by a backup, the one it replaces kept beside it.
struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replace the database with a backup from `platform backup` (stop the server first); the replaced SQLite file is kept beside it. For PostgreSQL, print the pg_restore command.")

    @Argument(help: "The backup to restore.") var file: String

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        switch try DatabaseFactory.location(of: try PlatformConfig.fromEnvironment(environment).databaseURL) {
        case let .postgres(url):
            print(try PostgresTools.command("pg_restore", ["--clean", "--if-exists", "--no-owner", "--single-transaction", file], url: url))
        case let .sqlite(path):
            try await restore(into: path)
        }
    }

    private func restore(into path: String) async throws {
        let files = FileManager.default
        guard files.fileExists(atPath: file) else { throw ValidationError("no backup at \(file)") }
        let staged = path + ".restoring"
        try? files.removeItem(atPath: staged)
        try files.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        try files.copyItem(atPath: file, toPath: staged)
        // Only a database of this platform is restored: it records its migrations.
        let versions = try await Self.migrationCount(staged)
        guard versions > 0 else {
            try? files.removeItem(atPath: staged)
            throw ValidationError("\(file) is not a backup of this platform's database")
        }
        var kept: String?
        if files.fileExists(atPath: path) {
            let aside = path + ".before-restore-\(Int64(Date().timeIntervalSince1970 * 1000))"
            for suffix in ["", "-wal", "-shm"] where files.fileExists(atPath: path + suffix) {
                try files.moveItem(atPath: path + suffix, toPath: aside + suffix)
            }
            kept = aside
        }
        try files.moveItem(atPath: staged, toPath: path)
        for suffix in ["-wal", "-shm"] { try? files.removeItem(atPath: staged + suffix) }
        // Opened once, so that a backup older than this version is migrated now.
        let orders = try await Runtime.run { runtime in
            try await runtime.database.read { sql in try await sql.raw("SELECT COUNT(*) AS n FROM orders").first(decoding: Count.self)?.n ?? 0 }
        }
        print("restored \(file) into \(path): \(orders) orders" + (kept.map { "; the database it replaced is at \($0)" } ?? ""))
    }

    private struct Count: Decodable { let n: Int }

    private static func migrationCount(_ path: String) async throws -> Int {
        let database = try await DatabaseFactory.open(url: "sqlite:" + path, logger: Logger(label: "restore") { _ in SwiftLogNoOpLogHandler() })
        let count = (try? await database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM schema_migrations").first(decoding: Count.self)?.n ?? 0
        }) ?? 0
        await database.close()
        return count
    }
}

/// The PostgreSQL client commands, for the operator to run: the password is left to PGPASSWORD or
/// ~/.pgpass, so that it is never printed.
enum PostgresTools {
    static func command(_ tool: String, _ arguments: [String], url: String) throws -> String {
        guard let components = URLComponents(string: url), let host = components.host else {
            throw ValidationError("DATABASE_URL is not a PostgreSQL URL")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        var parts = [tool, "--host=\(host)", "--port=\(components.port ?? 5432)"]
        if let user = components.user { parts.append("--username=\(user)") }
        parts.append("--dbname=\(database.isEmpty ? (components.user ?? "postgres") : database)")
        parts += arguments
        return parts.map(Self.quoted).joined(separator: " ") + "\n# the password: PGPASSWORD or ~/.pgpass"
    }

    static func quoted(_ word: String) -> String {
        word.allSatisfy { $0.isLetter || $0.isNumber || "-_=./:@,".contains($0) } ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
