import Platform
import PlatformTesting
import SQLKit
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
}
