import Platform
import SQLKit

/// Every row of every table as text, per table: two snapshots differ exactly where something was
/// written in between. For tests that must show a refused request changed nothing.
package func databaseSnapshot(_ database: any Database) async throws -> [String: [String]] {
    struct Column: Decodable { let table: String, column: String }
    struct Line: Decodable { let line: String }
    let engine = database.engine
    return try await database.read { sql in
        let columns: [Column] = engine == .postgres
            ? try await sql.raw("""
                SELECT table_name AS "table", column_name AS "column" FROM information_schema.columns
                WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position
                """).all(decoding: Column.self)
            : try await sql.raw("""
                SELECT m.name AS "table", p.name AS "column" FROM sqlite_master m JOIN pragma_table_info(m.name) p
                WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid
                """).all(decoding: Column.self)
        var snapshot: [String: [String]] = [:]
        for (table, list) in Dictionary(grouping: columns, by: \.table) {
            let line = list.map { "COALESCE(CAST(\"\($0.column)\" AS TEXT), '∅')" }.joined(separator: " || '|' || ")
            snapshot[table] = try await sql.raw("SELECT \(unsafeRaw: line) AS line FROM \"\(unsafeRaw: table)\"")
                .all(decoding: Line.self).map(\.line).sorted()
        }
        return snapshot
    }
}
