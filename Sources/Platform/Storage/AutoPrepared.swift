import Logging
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
/// every connection's backend), and whatever runs inside `unnamed` (an inbox batch's multi-row
/// inserts, whose row counts and NULLs make new texts and bind types in nearly every batch).
/// A database (its pool) keeps its own names: the whole test suite, in one process, asks for more
/// than 500, and one test's statements must not depend on what others ran. PostgreSQL plans a
/// prepared statement again after DDL on its tables; only a `SELECT *` whose columns changed fails
/// (0A000), once, and is renamed (below). Migrations run before the server takes requests, so that
/// concerns servers that keep running while another process migrates.
///
/// PostgresNIO keeps a failed preparation per connection and answers every later call under that
/// name on that connection with its error, without asking the server. So when a call fails on a
/// connection where its name has not yet run, the preparation may be what failed (a transaction
/// already failed, a lock or statement timeout while parsing, a missing table): the statement is
/// renamed and the next call prepares it afresh. Where the name has run before, the error is the
/// execution's and the name stays, except for a plan whose result columns changed (0A000, a table
/// altered by another process) or a statement the server no longer has (26000). A text renamed 10
/// times runs unnamed from then on, so a statement that always fails (a read-only standby) does not
/// leave a new statement on the server with every call.
package final class AutoPrepared: Sendable {
    /// Distinct statements named per database; new texts after these run unnamed (said once in the log).
    package static let limit = 500
    /// Renames of one text before it runs unnamed for good.
    static let renameLimit = 10

    @TaskLocal private static var skipped = false

    /// Runs `body` with its SQLKit queries on the unnamed path: for texts that would rarely run twice.
    static func unnamed<T>(_ body: () async throws -> T) async rethrows -> T {
        try await $skipped.withValue(true, operation: body)
    }

    package init() {}

    private struct Entry {
        /// The statement is `auto_<number>`; nil: it runs unnamed.
        var number: Int?
        var renames = 0
    }

    private struct Names {
        var byKey: [String: Entry] = [:]
        var next = 0
        var toldFull = false
        var ran = StatementsRun()
    }

    private let names = Mutex(Names())

    /// Runs `query` as a named prepared statement; false (nothing run) when it is left to the
    /// unnamed path.
    /// - Throws: what PostgreSQL or PostgresNIO throws for the statement.
    func run(_ query: any SQLExpression, on session: PostgresSession,
                    _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws -> Bool {
        guard !Self.skipped else { return false }
        let (sql, binds) = session.serialize(query)
        guard Self.preparable(sql), binds.count <= Int(UInt16.max) else { return false }
        var bindings = PostgresBindings(capacity: binds.count)
        var key = sql
        key.append("\u{0}")
        for bind in binds {
            // The cast sees through an Optional that holds a value; one that holds none fails it.
            if let value = bind as? any PostgresThrowingDynamicTypeEncodable {
                try bindings.append(value, context: .default)
                key.append("\(value.psqlType.rawValue):\(value.psqlFormat.rawValue),")
            } else if Self.isNil(bind) {
                bindings.appendNull()
                key.append("n,")
            } else {
                return false
            }
        }
        guard let number = number(for: key, logger: session.logger) else { return false }
        let connection = session.connection.id
        do {
            try await Statement.$current.withValue(Statement.Identity(name: "auto_\(number)", sql: sql)) {
                for try await row in try await session.connection.execute(Statement(bindings: bindings), logger: session.logger) {
                    onRow(row.sql())
                }
            }
        } catch let error as PSQLError {
            names.withLock { names in
                guard var entry = names.byKey[key], entry.number == number,
                      Self.renames(error, ranBefore: names.ran.contains(number, on: connection)) else { return }
                entry.renames += 1
                entry.number = entry.renames < Self.renameLimit ? names.next : nil
                names.next += 1
                names.byKey[key] = entry
            }
            throw error
        }
        names.withLock { $0.ran.record(number, on: connection) }
        return true
    }

    /// One SELECT, INSERT, UPDATE, DELETE or WITH command; anything else (DDL, transaction control,
    /// several commands in one text, as a migration has) runs unnamed.
    package static func preparable(_ sql: String) -> Bool {
        let start = sql.utf8.drop(while: { $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D || $0 == 0x28 })
        let word = String(decoding: start.prefix(while: { (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }), as: UTF8.self)
            .uppercased()
        return ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH"].contains(word) && !sql.utf8.contains(0x3B)  // ";"
    }

    /// The number of the statement named for `key`, numbering it if it is new; nil when it runs unnamed.
    package func number(for key: String, logger: Logger) -> Int? {
        let (number, full) = names.withLock { names -> (Int?, Bool) in
            if let entry = names.byKey[key] { return (entry.number, false) }
            guard names.byKey.count < Self.limit else {
                defer { names.toldFull = true }
                return (nil, !names.toldFull)
            }
            names.byKey[key] = Entry(number: names.next)
            names.next += 1
            return (names.next - 1, false)
        }
        if full {
            // Said once: from here on every new text is parsed and planned at each call.
            logger.warning("\(Self.limit) statements are prepared by name; new statement texts now run unnamed",
                           metadata: ["text": "\(key.prefix(while: { $0 != "\u{0}" }).prefix(200))"])
        }
        return number
    }

    /// Whether a server's error on a named statement may have come from its preparation, or left
    /// the name unusable (0A000: the cached plan's result changed; 26000: no such statement).
    /// Codes: https://www.postgresql.org/docs/current/errcodes-appendix.html
    static func renames(_ error: PSQLError, ranBefore: Bool) -> Bool {
        guard error.code == .server else { return false }
        let state = error.serverInfo?[.sqlState] ?? ""
        return !ranBefore || state == "0A000" || state.hasPrefix("26")
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

/// The statement numbers that have run on each connection: prepared there for certain. A pool
/// replaces its connections over a server's life, so it remembers at most `connections` of them:
/// when a new one comes past that, the half used longest ago is forgotten. A pool's live
/// connections run statements all the time, so what goes is in practice connections closed long
/// ago; a live one forgotten would have its next failed statement renamed, as if new.
package struct StatementsRun: Sendable {
    package static let connections = 256
    private struct Record {
        var numbers: Set<Int> = []
        /// The `clock` of its last statement.
        var lastUse = 0

        mutating func ran(_ number: Int, at time: Int) {
            numbers.insert(number)
            lastUse = time
        }
    }
    private var byConnection: [PostgresConnection.ID: Record] = [:]
    private var clock = 0

    package init() {}

    package mutating func record(_ number: Int, on connection: PostgresConnection.ID) {
        clock += 1
        if byConnection[connection] == nil, byConnection.count >= Self.connections {
            let oldest = byConnection.sorted { $0.value.lastUse < $1.value.lastUse }.prefix(Self.connections / 2)
            for (id, _) in oldest { byConnection[id] = nil }
        }
        // One lookup: this runs after every named statement.
        byConnection[connection, default: Record()].ran(number, at: clock)
    }

    package func contains(_ number: Int, on connection: PostgresConnection.ID) -> Bool {
        byConnection[connection]?.numbers.contains(number) == true
    }

    /// Connections remembered now.
    package var count: Int { byConnection.count }
}
