import PostgresKit
import PostgresNIO
import SQLKit
import Synchronization

/// Every SQLKit query on PostgreSQL runs as a named prepared statement, prepared once per
/// connection and then only bound and executed: the server parses and plans it once, not on every
/// call. Profiling the webhook path, parsing and planning the same few texts again was a large part
/// of PostgreSQL's CPU. The statements written as `PreparedStatement` skip SQLKit altogether; this
/// covers the rest.
///
/// A statement is named for its text and the PostgreSQL types of its binds, so a text bound once
/// with a NULL and once with a value gets two statements, each parsed for what it is sent, just as
/// the unnamed statement of every call was. Left to the unnamed path: anything but SELECT, INSERT,
/// UPDATE, DELETE and WITH, a bind PostgresNIO cannot encode directly, and every new text once
/// `limit` are named (dynamic `IN` lists make texts without end; each named one costs memory in
/// every connection's backend). DDL run through the driver (a migration) forgets every name, so no
/// plan made for the tables before is used after.
///
/// PostgresNIO keeps a failed preparation per connection and answers every later call under that
/// name with its error, so an error that may come from the preparation (a statement first prepared
/// in a transaction already failed, a table or column missing, a plan whose result columns changed
/// because the schema did) renames the statement: the next call prepares it afresh.
package enum AutoPrepared {
    /// Distinct statements named per process; new texts after these run unnamed.
    static let limit = 500

    /// The names given so far: the text and bind types to `auto_<n>`.
    private static let names = Mutex<(byKey: [String: Int], next: Int)>(([:], 0))

    /// Runs `query` as a named prepared statement; false (nothing run) when it is left to the
    /// unnamed path.
    /// - Throws: what PostgreSQL or PostgresNIO throws for the statement.
    static func run(_ query: any SQLExpression, on session: PostgresSession,
                    _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws -> Bool {
        let (sql, binds) = session.serialize(query)
        switch kind(of: sql) {
        case .schemaChange:
            // A plan prepared before may no longer fit the tables: later calls prepare afresh.
            names.withLock { $0.byKey.removeAll() }
            return false
        case .other:
            return false
        case .preparable:
            break
        }
        guard binds.count <= Int(UInt16.max) else { return false }
        var bindings = PostgresBindings(capacity: binds.count)
        var key = sql
        key.append("\u{0}")
        for bind in binds {
            // The cast sees through an Optional that holds a value; one that holds none fails it.
            if let value = bind as? any PostgresThrowingDynamicTypeEncodable {
                try bindings.append(value, context: .default)
                key.append("\(value.psqlType.rawValue):\(value.psqlFormat.rawValue),")
            } else if isNil(bind) {
                bindings.appendNull()
                key.append("n,")
            } else {
                return false
            }
        }
        guard let name = name(for: key) else { return false }
        do {
            try await Statement.$current.withValue(Statement.Identity(name: name, sql: sql)) {
                for try await row in try await session.connection.execute(Statement(bindings: bindings), logger: session.logger) {
                    onRow(row.sql())
                }
            }
        } catch let error as PSQLError {
            if renames(error) { rename(key) }
            throw error
        }
        return true
    }

    package enum Kind: Equatable { case preparable, schemaChange, other }

    /// One SELECT, INSERT, UPDATE, DELETE or WITH command is prepared; DDL (or several commands in
    /// one text, as a migration has) changes the schema; anything else runs unnamed.
    package static func kind(of sql: String) -> Kind {
        let start = sql.utf8.drop(while: { $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D || $0 == 0x28 })
        let word = String(decoding: start.prefix(while: { (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }), as: UTF8.self)
            .uppercased()
        if sql.utf8.contains(0x3B) || ["CREATE", "ALTER", "DROP", "TRUNCATE", "COMMENT", "GRANT", "REVOKE", "DO"].contains(word) {
            return .schemaChange
        }
        return ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH"].contains(word) ? .preparable : .other
    }

    private static func name(for key: String) -> String? {
        names.withLock { names in
            if let number = names.byKey[key] { return "auto_\(number)" }
            guard names.byKey.count < limit else { return nil }
            names.byKey[key] = names.next
            names.next += 1
            return "auto_\(names.next - 1)"
        }
    }

    private static func rename(_ key: String) {
        names.withLock { names in
            guard names.byKey[key] != nil else { return }
            names.byKey[key] = names.next
            names.next += 1
        }
    }

    /// SQLSTATE classes an error of the preparation itself can carry: 25 (a transaction already
    /// failed), 26 (no such statement), 0A (the cached plan's result changed), 42 (syntax, a missing
    /// table or column, a missing privilege), 3F (a missing schema). Source:
    /// https://www.postgresql.org/docs/current/errcodes-appendix.html
    static func renames(_ error: PSQLError) -> Bool {
        guard error.code == .server, let state = error.serverInfo?[.sqlState] else { return false }
        return ["25", "26", "0A", "42", "3F"].contains(String(state.prefix(2)))
    }

    private static func isNil(_ value: Any) -> Bool {
        let mirror = Mirror(reflecting: value)
        return mirror.displayStyle == .optional && mirror.children.isEmpty
    }

    /// PostgresNIO names a prepared statement by its type's static `name` and `sql`, which it reads
    /// in `execute` (and in the error it throws): this one reads them from the task that runs it.
    private struct Statement: PostgresPreparedStatement {
        struct Identity: Sendable {
            let name: String
            let sql: String
        }

        typealias Row = PostgresRow
        @TaskLocal static var current = Identity(name: "", sql: "")
        static var name: String { current.name }
        static var sql: String { current.sql }

        let bindings: PostgresBindings

        func makeBindings() throws -> PostgresBindings { bindings }
        func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
    }
}
