import Foundation
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformServer
import PlatformTesting
import Testing

/// `platform backup` and `platform restore`, as the built executable an operator runs: a restored
/// backup passes `platform ledger verify` and admits the same tickets as the database it copied.
@Suite struct BackupCommandTests {
    @Test func aRestoredBackupPassesTheLedgerCheckAndAdmitsTheSameTickets() async throws {
        let built = try BuiltCommand.path("platform")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("backup-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (live, backup, restored) = ["live", "backup", "restored"].map { directory.appendingPathComponent("\($0).sqlite").path }.triple
        func environment(_ path: String) -> [String: String] {
            AssemblyTests.base.merging(["DATABASE_URL": "sqlite:" + path, "LOG_LEVEL": "error",
                                        "MAIL_OUTBOX_DIR": directory.appendingPathComponent("outbox").path]) { $1 }
        }
        let demo = try await BuiltCommand.run(built, ["demo", "--payout"], environment: environment(live))
        #expect(demo.status == 0, "\(demo.stderr)")
        let key = try #require(demo.stdout.split(separator: "\n").first { $0.hasPrefix("Organizer key:") }?.split(separator: " ").last.map(String.init))

        let backedUp = try await BuiltCommand.run(built, ["backup", backup], environment: environment(live))
        #expect(backedUp.status == 0 && backedUp.stdout.hasPrefix("backed up \(live) to \(backup) ("), "\(backedUp.stdout)\(backedUp.stderr)")
        #expect(try await BuiltCommand.run(built, ["backup", backup], environment: environment(live)).status != 0, "an existing file is never overwritten")

        let first = try await BuiltCommand.run(built, ["restore", backup], environment: environment(restored))
        #expect(first.status == 0 && first.stdout.hasPrefix("restored \(backup) into \(restored): "), "\(first.stdout)\(first.stderr)")
        let verified = try await BuiltCommand.run(built, ["ledger", "verify"], environment: environment(restored))
        #expect(verified.status == 0 && verified.stdout == "the ledger is consistent\n", "\(verified.stderr)")
        let again = try await BuiltCommand.run(built, ["restore", backup], environment: environment(restored))
        #expect(again.stdout.contains("the database it replaced is at \(restored).before-restore-"), "nothing is lost by a restore")
        let junk = directory.appendingPathComponent("junk.sqlite").path
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: junk))
        #expect(try await BuiltCommand.run(built, ["restore", junk], environment: environment(restored)).status != 0)

        let postgres = try await BuiltCommand.run(built, ["backup", "/tmp/x.dump"],
                                                  environment: ["DATABASE_URL": "postgres://ops:s3cret@db.example:5433/tickets", "LOG_LEVEL": "error"])
        #expect(postgres.stdout.hasPrefix("pg_dump --host=db.example --port=5433 --username=ops --dbname=tickets --format=custom --file=/tmp/x.dump"))
        #expect(!postgres.stdout.contains("s3cret"), "the password is never printed")

        let original = try await Self.scans(url: "sqlite:" + live, environment: environment(live), key: key)
        let copy = try await Self.scans(url: "sqlite:" + restored, environment: environment(restored), key: key)
        #expect(!original.isEmpty && original.keys.sorted() == copy.keys.sorted(), "the same tickets")
        #expect(original.values.allSatisfy { $0 == "admitted" } && copy.values.allSatisfy { $0 == "admitted" }, "\(original) \(copy)")
    }

    /// PostgreSQL: the commands `platform backup` and `platform restore` print, run as printed, copy a
    /// demo database into an empty one that holds the same rows, passes `platform ledger verify` and
    /// admits the same tickets. Needs a role with CREATEDB, PostgreSQL 13 or later and psql, pg_dump
    /// and pg_restore on PATH (scripts/test's cluster has them).
    @Test func aPostgresDumpRestoredByThePrintedCommandsPassesTheLedgerCheck() async throws {
        guard let server = TestEngines.postgresURL else {
            if TestEngines.isCI { Issue.record("CI=true but TEST_DATABASE_URL is not set") }
            return
        }
        let built = try BuiltCommand.path("platform")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pg-backup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
        let (live, restored) = ("backup_live_\(suffix)", "backup_restored_\(suffix)")
        func url(_ database: String) throws -> String {
            var components = try #require(URLComponents(string: server))
            components.path = "/" + database
            return try #require(components.string)
        }
        // The printed commands leave the password to PGPASSWORD, as an operator would.
        let password = URLComponents(string: server)?.password.map { ["PGPASSWORD": $0] } ?? [:]
        let shellEnvironment = ProcessInfo.processInfo.environment.merging(password) { $1 }
        func shell(_ command: String) async throws -> BuiltCommand.Outcome {
            try await BuiltCommand.run("/bin/sh", ["-c", command], environment: shellEnvironment)
        }
        func psql(_ statement: String) async throws -> BuiltCommand.Outcome {
            var components = try #require(URLComponents(string: server))
            components.password = nil
            return try await BuiltCommand.run("/usr/bin/env", ["psql", "--no-psqlrc", "--quiet", try #require(components.string), "-c", statement],
                                              environment: shellEnvironment)
        }
        var failure: (any Error)?
        do {
            for database in [live, restored] {
                let created = try await psql("CREATE DATABASE \(database)")
                try #require(created.status == 0, "the test's PostgreSQL role needs CREATEDB: \(created.stderr)")
            }
            func environment(_ database: String) throws -> [String: String] {
                AssemblyTests.base.merging(["DATABASE_URL": try url(database), "LOG_LEVEL": "error",
                                            "MAIL_OUTBOX_DIR": directory.appendingPathComponent("outbox").path]) { $1 }
            }
            let demo = try await BuiltCommand.run(built, ["demo", "--payout"], environment: try environment(live))
            try #require(demo.status == 0, "\(demo.stderr)")
            let key = try #require(demo.stdout.split(separator: "\n").first { $0.hasPrefix("Organizer key:") }?.split(separator: " ").last.map(String.init))

            let dump = directory.appendingPathComponent("live.dump").path
            let backup = try await BuiltCommand.run(built, ["backup", dump], environment: try environment(live))
            #expect(backup.status == 0 && backup.stdout.hasPrefix("pg_dump "), "\(backup.stdout)\(backup.stderr)")
            let dumped = try await shell(backup.stdout)
            #expect(dumped.status == 0, "\(dumped.stderr)")
            let restore = try await BuiltCommand.run(built, ["restore", dump], environment: try environment(restored))
            #expect(restore.status == 0 && restore.stdout.hasPrefix("pg_restore "), "\(restore.stdout)\(restore.stderr)")
            let loaded = try await shell(restore.stdout)
            #expect(loaded.status == 0, "\(loaded.stderr)")

            let verified = try await BuiltCommand.run(built, ["ledger", "verify"], environment: try environment(restored))
            #expect(verified.status == 0 && verified.stdout == "the ledger is consistent\n", "\(verified.stdout)\(verified.stderr)")
            // Every row of every table, the ledger, payouts and audit log included, came across.
            let (source, copied) = (try await Self.snapshot(try url(live)), try await Self.snapshot(try url(restored)))
            #expect(source["ledger_transfers"]?.isEmpty == false && source["payouts"]?.isEmpty == false && source["audit_log"]?.isEmpty == false)
            #expect(source == copied, "tables that differ: \(Set(source.keys).union(copied.keys).filter { source[$0] != copied[$0] }.sorted())")
            let original = try await Self.scans(url: try url(live), environment: try environment(live), key: key)
            let copy = try await Self.scans(url: try url(restored), environment: try environment(restored), key: key)
            #expect(!original.isEmpty && original.keys.sorted() == copy.keys.sorted(), "the same tickets")
            #expect(original.values.allSatisfy { $0 == "admitted" } && copy.values.allSatisfy { $0 == "admitted" }, "\(original) \(copy)")
        } catch {
            failure = error
        }
        try? FileManager.default.removeItem(at: directory)
        for database in [live, restored] {
            _ = try? await psql("DROP DATABASE IF EXISTS \(database) WITH (FORCE)")
        }
        if let failure { throw failure }
    }

    static func snapshot(_ url: String) async throws -> [String: [String]] {
        let database = try await DatabaseFactory.open(url: url, logger: quietLogger)
        do {
            let rows = try await databaseSnapshot(database)
            await database.close()
            return rows
        } catch {
            await database.close()
            throw error
        }
    }

    /// Every ticket of the organizer's events, scanned once through the assembled platform: token to result.
    static func scans(url: String, environment: [String: String], key: String) async throws -> [String: String] {
        let assembly = try Assembly(environment: environment, logger: quietLogger)
        let database = try await DatabaseFactory.openMigrated(url: url, environment: [:], logger: quietLogger)
        let platform = try await assembly.platform(database: database)
        let results = try await Application(router: buildRouter(platform), logger: quietLogger).test(.router) { raw -> [String: String] in
            let client = APITestClient(raw)
            var results: [String: String] = [:]
            for event in try await client.get("/api/v1/events", key: key).json["data"] as? [[String: Any]] ?? [] {
                let orders = try await client.get("/api/v1/events/\(event["id"] as? String ?? "")/orders", key: key).json["data"] as? [[String: Any]] ?? []
                for order in orders {
                    let tickets = try await client.get("/api/v1/orders/\(order["id"] as? String ?? "")/tickets", key: key).json["data"] as? [[String: Any]] ?? []
                    for token in tickets.compactMap({ $0["token"] as? String }) {
                        results[token] = try await client.post("/api/v1/checkin/scan", key: key, json: #"{"token":"\#(token)"}"#).string("result") ?? "none"
                    }
                }
            }
            return results
        }
        await database.close()
        return results
    }
}

private extension Array {
    var triple: (Element, Element, Element) { (self[0], self[1], self[2]) }
}
