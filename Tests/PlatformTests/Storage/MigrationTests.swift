import Foundation
import Logging
import Platform
import PlatformTesting
import SQLKit
import Testing

@Suite struct MigrationTests {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test(arguments: TestEngines.all)
    func appliesOnceAndRecordsEachVersion(engine: DatabaseEngine) async throws {
        try await withTestDatabase(engine) { database in
            let migrator = try Migrator.load(directory: Migrator.defaultDirectory(), engine: engine)
            #expect(try await migrator.migrate(database, logger: logger) == [], "withTestDatabase already migrated")
            struct Row: Decodable { let version: Int }
            let versions = try await database.read { sql in
                try await sql.raw("SELECT version FROM schema_migrations ORDER BY version").all(decoding: Row.self).map(\.version)
            }
            #expect(versions == migrator.migrations.map(\.version))
            // Only the platform's own seller row of credit packs, and its event (migration 0023).
            #expect(try await rowCounts(database) == ["organizers": 1, "api_keys": 0, "events": 1, "ticket_variants": 0, "audit_log": 0])
        }
    }

    @Test(arguments: TestEngines.all)
    func refusesAnEditedMigration(engine: DatabaseEngine) async throws {
        try await withTestDatabase(engine) { database in
            let loaded = try Migrator.load(directory: Migrator.defaultDirectory(), engine: engine).migrations
            let edited = loaded.map { Migration(version: $0.version, name: $0.name, sql: $0.sql + "\n-- edited\n") }
            await #expect(throws: MigrationError.self) { try await Migrator(migrations: edited).migrate(database, logger: logger) }
        }
    }

    @Test(arguments: TestEngines.all)
    func appliesNewMigrationsAtomically(engine: DatabaseEngine) async throws {
        try await withTestDatabase(engine) { database in
            let loaded = try Migrator.load(directory: Migrator.defaultDirectory(), engine: engine).migrations
            let next = (loaded.last?.version ?? 0) + 1
            let broken = Migration(version: next, name: "broken", sql: "CREATE TABLE scratch (id BIGINT);\nSELECT * FROM no_such_table;\n")
            await #expect(throws: (any Error).self) { try await Migrator(migrations: loaded + [broken]).migrate(database, logger: logger) }
            struct Count: Decodable { let n: Int }
            let recorded = try await database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM schema_migrations WHERE version = \(bind: next)").first(decoding: Count.self)?.n
            }
            #expect(recorded == 0)
            let good = Migration(version: next, name: "scratch", sql: "CREATE TABLE scratch (id BIGINT);\n")
            #expect(try await Migrator(migrations: loaded + [good]).migrate(database, logger: logger) == [next])
        }
    }

    /// Migration 0024 moves the checks of the checkout's foreign keys to COMMIT on PostgreSQL: an
    /// order line of no order and no variant is still refused, and nothing of its transaction stays.
    @Test(arguments: TestEngines.all)
    func foreignKeysCheckedAtCommitStillRefuseOrphans(engine: DatabaseEngine) async throws {
        try await withTestDatabase(engine) { database in
            await #expect(throws: (any Error).self) {
                try await database.transaction { sql in
                    try await sql.raw("""
                        INSERT INTO order_lines (order_id, organizer_id, variant_id, quantity, unit_price)
                        VALUES ('ord_none', 'org_none', 'var_none', 1, 100)
                        """).run()
                }
            }
            #expect(try await rowCounts(database, tables: ["order_lines"]) == ["order_lines": 0])
            guard engine == .postgres else { return }
            struct Row: Decodable { let conname: String, condeferred: Bool }
            let deferred = try await database.read { sql in
                try await sql.raw("""
                    SELECT conname, condeferred FROM pg_constraint
                    WHERE contype = 'f' AND conrelid::regclass::text IN ('orders', 'order_lines', 'tickets') ORDER BY conname
                    """).all(decoding: Row.self)
            }
            #expect(deferred.filter(\.condeferred).map(\.conname) == [
                "order_lines_order_id_fkey", "order_lines_organizer_id_fkey", "order_lines_variant_id_fkey", "orders_event_id_fkey",
                "orders_organizer_id_fkey", "tickets_event_id_fkey", "tickets_order_id_fkey", "tickets_organizer_id_fkey", "tickets_variant_id_fkey",
            ])
        }
    }

    @Test func engineSpecificFileWinsOverThePortableOne() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "SELECT 1;".write(to: directory.appendingPathComponent("0001_a.sql"), atomically: true, encoding: .utf8)
        try "SELECT 2;".write(to: directory.appendingPathComponent("0001_a.postgres.sql"), atomically: true, encoding: .utf8)
        try "SELECT 3;\n-- note\nSELECT 4;".write(to: directory.appendingPathComponent("0002_b.sql"), atomically: true, encoding: .utf8)
        let postgres = try Migrator.load(directory: directory.path, engine: .postgres).migrations
        let sqlite = try Migrator.load(directory: directory.path, engine: .sqlite).migrations
        #expect(postgres.map(\.sql) == ["SELECT 2;", "SELECT 3;\n-- note\nSELECT 4;"])
        #expect(sqlite.map(\.sql) == ["SELECT 1;", "SELECT 3;\n-- note\nSELECT 4;"])
        try "x".write(to: directory.appendingPathComponent("0003_c.oracle.sql"), atomically: true, encoding: .utf8)
        #expect(throws: MigrationError.self) { try Migrator.load(directory: directory.path, engine: .sqlite) }
    }
}

@Suite struct DatabaseURLTests {
    @Test func rejectsUnknownSchemes() async {
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        await #expect(throws: DatabaseConfigurationError.self) { try await DatabaseFactory.open(url: "mysql://x", logger: logger) }
    }

    @Test func connectionErrorsHideThePassword() async throws {
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        do {
            _ = try await DatabaseFactory.open(url: "postgres://user:s3cret-pw@127.0.0.1:1/db?sslmode=disable", logger: logger,
                                           startupTimeout: .milliseconds(500))
            Issue.record("connecting to port 1 should fail")
        } catch {
            #expect(!String(describing: error).contains("s3cret-pw"))
            #expect(String(describing: error).contains("***"))
        }
    }
}
