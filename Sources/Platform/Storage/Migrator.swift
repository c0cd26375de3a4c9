import Crypto
import Foundation
import Logging
import PluginKit
import SQLKit

/// One SQL file of `migrations/`: `NNNN_name.sql`, or `NNNN_name.<engine>.sql` where the dialects differ.
package struct Migration: Sendable, Equatable {
    package let version: Int
    package let name: String
    package let sql: String

    package init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    var checksum: String {
        SHA256.hash(data: Data(sql.utf8)).hexString
    }

    /// Statements end with `;` at the end of a line; `--` comment lines are dropped.
    var statements: [String] {
        var result: [String] = []
        var current: [String] = []
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("--") { continue }
            current.append(String(line))
            if trimmed.hasSuffix(";") {
                result.append(current.joined(separator: "\n"))
                current = []
            }
        }
        let rest = current.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { result.append(rest) }
        return result
    }
}

package enum MigrationError: Error, CustomStringConvertible {
    case badFileName(String)
    case duplicateVersion(Int)
    case edited(version: Int, name: String)
    case unknownApplied(version: Int)
    case missingDirectory(String)

    package var description: String {
        switch self {
        case let .badFileName(name): "migration file \(name) is not named NNNN_name.sql"
        case let .duplicateVersion(version): "two migrations share version \(version)"
        case let .edited(version, name): "migration \(version) (\(name)) was changed after it was applied; add a new migration instead"
        case let .unknownApplied(version): "the database has migration \(version), which this build does not know: run a newer build"
        case let .missingDirectory(path): "no migrations directory at \(path); set MIGRATIONS_DIR"
        }
    }
}

package struct Migrator: Sendable {
    package let migrations: [Migration]

    package init(migrations: [Migration]) { self.migrations = migrations.sorted { $0.version < $1.version } }

    /// `MIGRATIONS_DIR`, else `./migrations`, else the directory this source tree was built from.
    package static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        ProjectDirectory.locate("migrations", variable: "MIGRATIONS_DIR", environment: environment)
    }

    /// Reads the directory, choosing an engine-specific file over the portable one of the same version.
    package static func load(directory: String, engine: DatabaseEngine) throws -> Migrator {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw MigrationError.missingDirectory(directory)
        }
        var portable: [Int: Migration] = [:]
        var specific: [Int: Migration] = [:]
        for file in names.sorted() where file.hasSuffix(".sql") {
            let stem = file.dropLast(4)
            let parts = stem.split(separator: ".")
            let base = parts[0]
            guard let underscore = base.firstIndex(of: "_"), let version = Int(base[..<underscore]),
                  parts.count <= 2 else { throw MigrationError.badFileName(file) }
            let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            let migration = Migration(version: version, name: String(base[base.index(after: underscore)...]), sql: text)
            if parts.count == 2 {
                guard DatabaseEngine(rawValue: String(parts[1])) != nil else { throw MigrationError.badFileName(file) }
                guard parts[1] == engine.rawValue else { continue }
                guard specific.updateValue(migration, forKey: version) == nil else { throw MigrationError.duplicateVersion(version) }
            } else {
                guard portable.updateValue(migration, forKey: version) == nil else { throw MigrationError.duplicateVersion(version) }
            }
        }
        return Migrator(migrations: Array(portable.merging(specific) { _, engineSpecific in engineSpecific }.values))
    }

    /// Applies what is pending in one transaction, under a lock so that instances starting together
    /// do not race. Returns the versions it applied.
    @discardableResult
    package func migrate(_ database: any Database, clock: any WallClock = SystemClock(), logger: Logger) async throws -> [Int] {
        let engine = database.engine
        let migrations = self.migrations
        let applied: [Int] = try await database.transaction { sql in
            if engine == .postgres {
                try await sql.raw("SELECT pg_advisory_xact_lock(72431)").run()
            }
            try await sql.raw("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)
                """).run()
            struct Row: Decodable { let version: Int; let checksum: String }
            let done = try await sql.raw("SELECT version, checksum FROM schema_migrations").all(decoding: Row.self)
            let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
            for row in done {
                guard let migration = known[row.version] else { throw MigrationError.unknownApplied(version: row.version) }
                guard migration.checksum == row.checksum else {
                    throw MigrationError.edited(version: row.version, name: migration.name)
                }
            }
            let doneVersions = Set(done.map(\.version))
            var appliedNow: [Int] = []
            for migration in migrations where !doneVersions.contains(migration.version) {
                for statement in migration.statements {
                    try await sql.raw(SQLQueryString(statement)).run()
                }
                try await sql.raw("""
                    INSERT INTO schema_migrations (version, name, checksum, applied_at)
                    VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: migration.checksum), \(bind: clock.now().milliseconds))
                    """).run()
                appliedNow.append(migration.version)
            }
            return appliedNow
        }
        for version in applied {
            logger.info("applied migration", metadata: ["version": "\(version)", "engine": "\(engine)"])
        }
        return applied
    }
}
