@testable import Platform
import PlatformTesting
import SQLKit
import Testing

@Suite struct BatchWritesTests {
    private struct Count: Decodable { let n: Int64 }

    private func count(_ sql: any SQLDatabase) async throws -> Int64 {
        try await sql.raw("SELECT COUNT(*) AS n FROM batch_rows").first(decoding: Count.self)?.n ?? -1
    }

    private func row(_ id: String, _ n: Int64, note: String?, tail: String = "") -> BatchedInsert {
        BatchedInsert("INSERT INTO batch_rows (id, n, note) VALUES", row: [id, n, note], tail: tail)
    }

    /// Outside a batch a row is written at once; inside, kept until the flush, which writes them all
    /// (more than one statement's worth, NULLs and a conflict clause included) and keeps nothing.
    @Test(arguments: TestEngines.all)
    func keptRowsAreWrittenAtTheFlush(engine: DatabaseEngine) async throws {
        try await withTestDatabase(engine) { database in
            try await database.transaction { sql in
                try await sql.raw("CREATE TABLE batch_rows (id TEXT PRIMARY KEY, n BIGINT NOT NULL, note TEXT)").run()
            }
            try await database.transaction { sql in
                try await BatchWrites.insert(row("first", 0, note: "alone"), on: sql)
                #expect(try await count(sql) == 1, "outside a batch the row is written at once")
            }
            let total = BatchWrites.rowsPerStatement * 2 + 1
            try await database.transaction { sql in
                let writes = BatchWrites()
                try await BatchWrites.$current.withValue(writes) {
                    for index in 1...total {
                        try await BatchWrites.insert(row("r\(index)", Int64(index), note: index % 2 == 0 ? "even" : nil), on: sql)
                    }
                    try await BatchWrites.insert(row("first", 99, note: nil, tail: "ON CONFLICT (id) DO NOTHING"), on: sql)
                    #expect(try await count(sql) == 1, "kept until the flush")
                    try await writes.flush(on: sql)
                }
                #expect(try await count(sql) == Int64(total) + 1)
                if engine == .postgres {
                    // Rows written together run unnamed: their texts would take AutoPrepared's names.
                    let named = try await sql.raw("""
                        SELECT COUNT(*) AS n FROM pg_prepared_statements WHERE statement LIKE 'INSERT INTO batch_rows%), (%'
                        """).first(decoding: Count.self)?.n
                    #expect(named == 0)
                }
                try await writes.flush(on: sql)
                #expect(try await count(sql) == Int64(total) + 1, "a second flush writes nothing again")
            }
            struct Row: Decodable, Equatable { let id: String, n: Int64, note: String? }
            let rows = try await database.read { sql in
                try await sql.raw("SELECT id, n, note FROM batch_rows WHERE id IN ('first', 'r1', 'r2', \(bind: "r\(total)")) ORDER BY id")
                    .all(decoding: Row.self)
            }
            // 513 rows: two statements of 256 rows and one of 1.
            #expect(rows == [Row(id: "first", n: 0, note: "alone"), Row(id: "r1", n: 1, note: nil), Row(id: "r2", n: 2, note: "even"),
                             Row(id: "r\(total)", n: Int64(total), note: nil)])
        }
    }

    /// A flush that fails throws, and its transaction keeps none of the batch's rows.
    @Test(arguments: TestEngines.all)
    func aFailedFlushKeepsNothing(engine: DatabaseEngine) async throws {
        try await withTestDatabase(engine) { database in
            try await database.transaction { sql in
                try await sql.raw("CREATE TABLE batch_rows (id TEXT PRIMARY KEY, n BIGINT NOT NULL, note TEXT)").run()
            }
            await #expect(throws: (any Error).self) {
                try await database.transaction { sql in
                    let writes = BatchWrites()
                    try await BatchWrites.$current.withValue(writes) {
                        try await BatchWrites.insert(row("a", 1, note: nil), on: sql)
                        try await BatchWrites.insert(row("a", 2, note: nil), on: sql)
                    }
                    try await writes.flush(on: sql)
                }
            }
            #expect(try await database.read { sql in try await count(sql) } == 0)
        }
    }

    /// In an inbox batch a payment's transfers wait for the flush, which posts them together with
    /// the same repeat check: a repeat changes nothing, a conflict (with a booked transfer, or
    /// within the batch) rolls the whole batch back.
    @Test(arguments: TestEngines.all)
    func aBatchPostsPaymentsAtItsFlushAndStillRefusesAConflict(engine: DatabaseEngine) async throws {
        try await withTestDatabase(engine) { database in
            let now = Timestamp(seconds: 1_780_000_000)
            let organizer = OrganizerID.generate(at: now)
            @Sendable func transfer(_ id: String, _ amount: Int64) -> Transfer {
                Transfer(id: id, kind: .orderNet, amount: Money(minorUnits: amount, currency: .eur), debit: .clearing(provider: "test"),
                         credit: .organizerPending(organizer), organizerID: organizer, orderID: nil, bookedAt: now)
            }
            @Sendable func booked(_ sql: any SQLDatabase) async throws -> [Int64] {
                try await LedgerRepository(sql).find(["test:1", "test:2", "test:3"]).map(\.amount)
            }
            /// Each list posted as one payment's transfers in a batch, then the batch's flush.
            @Sendable func batch(_ payments: [[Transfer]], on sql: any SQLDatabase) async throws {
                let writes = BatchWrites()
                try await BatchWrites.$current.withValue(writes) {
                    for transfers in payments { try await LedgerRepository(sql).postPayment(transfers) }
                }
                try await writes.flush(on: sql)
            }
            try await database.transaction { sql in
                let writes = BatchWrites()
                try await BatchWrites.$current.withValue(writes) {
                    try await LedgerRepository(sql).postPayment([transfer("test:1", 700), transfer("test:2", 300)])
                    try await LedgerRepository(sql).postPayment([transfer("test:1", 700)])
                }
                #expect(try await booked(sql) == [], "kept until the flush")
                try await writes.flush(on: sql)
                #expect(try await booked(sql) == [700, 300])
            }
            await #expect(throws: LedgerConflict.self) {
                try await database.transaction { sql in
                    try await batch([[transfer("test:3", 100)], [transfer("test:1", 701)]], on: sql)
                }
            }
            #expect(try await database.read { sql in try await booked(sql) } == [700, 300], "the conflict's batch left nothing")
            await #expect(throws: LedgerConflict.self, "one id twice in a batch, with two movements") {
                try await database.transaction { sql in
                    try await batch([[transfer("test:3", 100)], [transfer("test:3", 101)]], on: sql)
                }
            }
            #expect(try await database.read { sql in try await booked(sql) } == [700, 300])
            try await database.transaction { sql in
                try await batch([[transfer("test:1", 700), transfer("test:2", 300)]], on: sql)
            }
            #expect(try await database.read { sql in try await booked(sql) } == [700, 300], "a repeat of booked transfers changes nothing")
            try await database.transaction { sql in try await LedgerRepository(sql).postPayment([transfer("test:3", 100)]) }
            #expect(try await database.read { sql in try await booked(sql) } == [700, 300, 100], "outside a batch it is posted at once")
        }
    }
}
