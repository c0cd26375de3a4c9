import Logging
import Platform
import PlatformTesting
import SQLKit
import Synchronization
import Testing

private struct Probe: Sendable, Equatable {
    let id: String, note: String?, amount: Int64?, at: Int64
}

private struct InsertProbe: PreparedStatement {
    static let name = "test_insert_probe"
    static let sql = """
        INSERT INTO prepared_probe (id, note, amount, at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (id) DO NOTHING RETURNING id, note, amount, at
        """
    let probe: Probe
    var values: [StatementValue] { [.text(probe.id), .text(probe.note), .integer(probe.amount), .integer(probe.at)] }

    static func row(_ columns: inout StatementColumns) throws -> Probe {
        Probe(id: try columns.text(), note: try columns.optionalText(), amount: try columns.optionalInteger(), at: try columns.integer())
    }
}

/// One value bound in two places.
private struct StampProbe: PreparedStatement {
    static let name = "test_stamp_probe"
    static let sql = "UPDATE prepared_probe SET amount = $1, at = $1 WHERE id = $2 RETURNING amount, at"
    let id: String, value: Int64
    var values: [StatementValue] { [.integer(value), .text(id)] }

    static func row(_ columns: inout StatementColumns) throws -> [Int64?] { [try columns.optionalInteger(), try columns.optionalInteger()] }
}

/// Reads one column more than the statement returns.
private struct OverreadProbe: PreparedStatement {
    static let name = "test_overread_probe"
    static let sql = "SELECT id FROM prepared_probe WHERE id = $1"
    let id: String
    var values: [StatementValue] { [.text(id)] }

    static func row(_ columns: inout StatementColumns) throws -> String {
        _ = try columns.text()
        return try columns.text()
    }
}

@Suite struct PreparedStatementTests {
    private func withProbeTable(_ engine: DatabaseEngine, _ body: (any Database) async throws -> Void) async throws {
        try await withTestDatabase(engine) { database in
            try await database.transaction { sql in
                try await sql.raw("CREATE TABLE prepared_probe (id TEXT PRIMARY KEY, note TEXT, amount BIGINT, at BIGINT NOT NULL)").run()
            }
            try await body(database)
        }
    }

    @Test(arguments: TestEngines.all)
    func bindsAndDecodesTextIntegersAndNulls(engine: DatabaseEngine) async throws {
        try await withProbeTable(engine) { database in
            let full = Probe(id: "a", note: "first", amount: -7, at: 1_700_000_000_123)
            let empty = Probe(id: "b", note: nil, amount: nil, at: 0)
            let inserted = try await database.transaction { sql in try await sql.execute(InsertProbe(probe: full)) }
            #expect(inserted == [full])
            let nulls = try await database.read { sql in try await sql.execute(InsertProbe(probe: empty)) }
            #expect(nulls == [empty])
            let conflict = try await database.read { sql in try await sql.execute(InsertProbe(probe: full)) }
            #expect(conflict == [], "a conflict returns no row")
            let stamped = try await database.read { sql in try await sql.execute(StampProbe(id: "b", value: 42)) }
            #expect(stamped == [[42, 42]])
            let missing = try await database.read { sql in try await sql.execute(StampProbe(id: "nobody", value: 1)) }
            #expect(missing.isEmpty)
        }
    }

    @Test(arguments: TestEngines.all)
    func aRolledBackTransactionLeavesNothingAndTheStatementReusable(engine: DatabaseEngine) async throws {
        struct Abort: Error {}
        try await withProbeTable(engine) { database in
            await #expect(throws: Abort.self) {
                try await database.transaction { sql in
                    _ = try await sql.execute(InsertProbe(probe: Probe(id: "gone", note: nil, amount: 1, at: 1)))
                    throw Abort()
                }
            }
            // Every pooled connection runs it again after the rollback.
            for index in 0..<8 {
                let probe = Probe(id: "kept-\(index)", note: "n", amount: Int64(index), at: 2)
                let inserted = try await database.transaction { sql in try await sql.execute(InsertProbe(probe: probe)) }
                #expect(inserted == [probe])
            }
            struct Count: Decodable { let n: Int64 }
            let counts = try await database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM prepared_probe WHERE id = 'gone' UNION ALL SELECT COUNT(*) FROM prepared_probe")
                    .all(decoding: Count.self).map(\.n)
            }
            #expect(counts == [0, 8])
        }
    }

    @Test(arguments: TestEngines.all)
    func readingPastTheLastColumnThrows(engine: DatabaseEngine) async throws {
        try await withProbeTable(engine) { database in
            _ = try await database.read { sql in try await sql.execute(InsertProbe(probe: Probe(id: "x", note: nil, amount: nil, at: 3))) }
            await #expect(throws: (any Error).self) { try await database.read { sql in try await sql.execute(OverreadProbe(id: "x")) } }
        }
    }

    @Test func onPostgreSQLTheStatementIsPreparedOnTheConnection() async throws {
        guard TestEngines.all.contains(.postgres) else { return }
        try await withProbeTable(.postgres) { database in
            struct Name: Decodable { let name: String }
            let names = try await database.read { sql in
                _ = try await sql.execute(InsertProbe(probe: Probe(id: "p", note: nil, amount: nil, at: 4)))
                return try await sql.raw("SELECT name FROM pg_prepared_statements ORDER BY name").all(decoding: Name.self).map(\.name)
            }
            #expect(names.contains(InsertProbe.name))
            let inTransaction = try await database.transaction { sql in
                try await sql.raw("SELECT name FROM pg_prepared_statements ORDER BY name").all(decoding: Name.self).map(\.name)
            }
            #expect(inTransaction.contains("platform_begin"), "a transaction opens with the prepared BEGIN")
        }
    }

    /// SQLKit queries: the same text bound with values and with NULLs answers the same on both
    /// engines; on PostgreSQL it runs as a named statement, one per text and bind types.
    @Test(arguments: TestEngines.all)
    func sqlKitQueriesAnswerTheSameWhetherPreparedOrNot(engine: DatabaseEngine) async throws {
        try await withProbeTable(engine) { database in
            struct Row: Decodable, Equatable { let id: String, note: String?, amount: Int64? }
            struct Name: Decodable, CustomStringConvertible { let name: String, runs: Int64; var description: String { "\(name):\(runs)" } }
            let rows = [Row(id: "a", note: "first", amount: 5), Row(id: "b", note: nil, amount: nil), Row(id: "c", note: "third", amount: nil)]
            for row in rows {
                try await database.transaction { sql in
                    try await sql.raw("""
                        INSERT INTO prepared_probe (id, note, amount, at) VALUES (\(bind: row.id), \(bind: row.note), \(bind: row.amount), 1)
                        """).run()
                }
            }
            let (found, named) = try await database.read { sql in
                var found: [[Row]] = []
                for (note, amount) in [("first", Int64?(5)), (nil, nil), ("third", nil), ("first", 5)] as [(String?, Int64?)] {
                    found.append(try await sql.raw("""
                        SELECT id, note, amount FROM prepared_probe
                        WHERE note IS NOT DISTINCT FROM \(bind: note) AND amount IS NOT DISTINCT FROM \(bind: amount) ORDER BY id
                        """).all(decoding: Row.self))
                }
                let named = engine == .postgres
                    ? try await sql.raw("""
                        SELECT name, generic_plans + custom_plans AS runs FROM pg_prepared_statements
                        WHERE starts_with(statement, 'SELECT id, note, amount FROM prepared_probe')
                        """).all(decoding: Name.self) : []
                return (found, named)
            }
            #expect(found == [[rows[0]], [rows[1]], [rows[2]], [rows[0]]])
            if engine == .postgres {
                // Every call ran as a named statement: (text, int8), (NULL, NULL) and (text, NULL), the
                // first reused by the fourth call.
                #expect(named.count == 3 && named.allSatisfy { $0.name.hasPrefix("auto_") }, "\(named)")
                #expect(named.map(\.runs).sorted() == [1, 1, 2])
            }
        }
    }

    /// PostgresNIO keeps a failed preparation for the connection's life; a statement first prepared
    /// in a transaction that had already failed must still run on that connection afterwards.
    @Test(arguments: TestEngines.all)
    func aStatementFirstPreparedInAFailedTransactionRunsAfterwards(engine: DatabaseEngine) async throws {
        try await withProbeTable(engine) { database in
            struct Row: Decodable, Equatable { let id: String }
            let query: SQLQueryString = "SELECT id FROM prepared_probe WHERE at = \(bind: Int64(77)) ORDER BY id"
            let (failed, after) = try await database.read { sql in
                // One connection throughout: BEGIN and ROLLBACK by hand.
                try await sql.raw("BEGIN").run()
                _ = try? await sql.raw("SELECT 1 / \(bind: 0) AS x").run()
                let failed: Bool
                do {
                    _ = try await sql.raw(query).all(decoding: Row.self)
                    failed = false
                } catch {
                    failed = true
                }
                try await sql.raw("ROLLBACK").run()
                try await sql.raw("INSERT INTO prepared_probe (id, at) VALUES ('late', 77)").run()
                return (failed, try await sql.raw(query).all(decoding: Row.self))
            }
            #expect(failed == (engine == .postgres), "only PostgreSQL refuses statements in a failed transaction")
            #expect(after == [Row(id: "late")])
        }
    }

    /// An error of a statement's execution, where the same name ran before on the connection,
    /// keeps the name: renaming on every failed call would leave a new statement on the server
    /// each time.
    @Test func anExecutionErrorKeepsTheStatementName() async throws {
        guard TestEngines.all.contains(.postgres) else { return }
        try await withProbeTable(.postgres) { database in
            struct Name: Decodable { let name: String }
            let (first, failed, after, names) = try await database.read { sql in
                let first = try await divide(sql, by: 2)
                let failed = await (try? divide(sql, by: 0)) == nil
                let after = try await divide(sql, by: 4)
                let names = try await sql.raw("SELECT name FROM pg_prepared_statements WHERE starts_with(statement, 'SELECT 840 /')")
                    .all(decoding: Name.self).map(\.name)
                return (first, failed, after, names)
            }
            #expect(first == 420 && failed && after == 210)
            #expect(names.count == 1, "the failed call left the name as it was: \(names)")
        }
    }

    /// Each database names its own statements: one that used up its names leaves another's alone,
    /// and past the limit a new text still answers, unnamed.
    @Test func aDatabaseThatUsedUpItsNamesLeavesAnotherAlone() async throws {
        guard TestEngines.all.contains(.postgres) else { return }
        struct Name: Decodable { let name: String }
        @Sendable func namedAfterAQuotient(_ sql: any SQLDatabase) async throws -> [String] {
            let quotient = try await divide(sql, by: 2)
            #expect(quotient == 420)
            return try await sql.raw("SELECT name FROM pg_prepared_statements WHERE starts_with(statement, 'SELECT 840 /')")
                .all(decoding: Name.self).map(\.name)
        }
        try await withProbeTable(.postgres) { full in
            let names = try await full.read { sql in
                for text in 0..<AutoPrepared.limit {
                    _ = try await sql.raw("SELECT \(unsafeRaw: String(text)) AS text, \(bind: Int64(text)) AS bound").run()
                }
                return try await namedAfterAQuotient(sql)
            }
            #expect(names.isEmpty, "this database has no name left: \(names)")
        }
        // After the first: a test database holds a slot, and there may be only one.
        try await withProbeTable(.postgres) { other in
            let names = try await other.read { sql in try await namedAfterAQuotient(sql) }
            #expect(names.count == 1, "a new database names its statements: \(names)")
        }
    }

    /// Past the limit a new text runs unnamed, said once in the log; a text named before keeps its name.
    @Test func theLimitOfNamesIsSaidOnceAndKeepsTheNamesGiven() {
        let records = LogRecords()
        let logger = Logger(label: "test") { _ in records }
        let prepared = AutoPrepared()
        let numbers = (0..<AutoPrepared.limit).map { prepared.number(for: "SELECT \($0)", logger: logger) }
        #expect(numbers == Array(0..<AutoPrepared.limit).map { Optional($0) })
        #expect(records.warnings.isEmpty)
        #expect(prepared.number(for: "SELECT 'new'", logger: logger) == nil)
        #expect(prepared.number(for: "SELECT 'newer'", logger: logger) == nil)
        #expect(prepared.number(for: "SELECT 7", logger: logger) == 7)
        #expect(records.warnings == ["\(AutoPrepared.limit) statements are prepared by name; new statement texts now run unnamed"])
    }

    /// A pool's connections come and go: what ran where is kept for a bounded number of them, and
    /// the ones forgotten are those used longest ago.
    @Test func whatRanIsRememberedForABoundedNumberOfConnections() {
        var ran = StatementsRun()
        let limit = StatementsRun.connections
        for connection in 0..<limit {
            ran.record(1, on: connection)
            ran.record(2, on: connection)
        }
        #expect(ran.count == limit)
        #expect(ran.contains(2, on: 0) && !ran.contains(3, on: 0))
        ran.record(3, on: 0)  // connection 0 is now the one used last
        ran.record(1, on: limit)
        #expect(ran.count == limit / 2 + 1, "half of them are forgotten, so the map stays bounded")
        #expect(ran.contains(1, on: limit) && ran.contains(3, on: 0) && ran.contains(2, on: limit - 1))
        #expect(!ran.contains(1, on: 1) && !ran.contains(1, on: limit / 2), "the ones used longest ago go")
    }

    @Test func onlySingleDataCommandsArePrepared() {
        #expect(AutoPrepared.preparable("  SELECT 1"))
        #expect(AutoPrepared.preparable("\n(select id from t) UNION (select id from u)"))
        #expect(AutoPrepared.preparable("WITH x AS (SELECT 1) UPDATE t SET a = 1"))
        #expect(AutoPrepared.preparable("insert into t values ($1)"))
        #expect(!AutoPrepared.preparable("CREATE TABLE t (id TEXT)"))
        #expect(!AutoPrepared.preparable("UPDATE t SET a = 1; UPDATE u SET b = 2"))
        #expect(!AutoPrepared.preparable("alter table t add column b text"))
        #expect(!AutoPrepared.preparable("BEGIN"))
        #expect(!AutoPrepared.preparable("SET LOCAL lock_timeout = '1s'"))
        #expect(!AutoPrepared.preparable("SELECTION"))
    }
}

private struct Quotient: Decodable { let q: Int64 }

private func divide(_ sql: any SQLDatabase, by divisor: Int64) async throws -> Int64? {
    try await sql.raw("SELECT 840 / \(bind: divisor) AS q").first(decoding: Quotient.self)?.q
}

/// Keeps the warnings logged, for a test to read; every level is logged and metadata is not kept.
private final class LogRecords: LogHandler, Sendable {
    private let lock = Mutex<[String]>([])
    var warnings: [String] { lock.withLock { $0 } }
    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }
    func log(event: LogEvent) {
        if event.level == .warning { lock.withLock { $0.append(event.message.description) } }
    }
}
