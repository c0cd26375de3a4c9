import PluginKit
import PostgresNIO
import SQLKit
import Synchronization

/// A statement for a hot path. On PostgreSQL it is prepared once per connection and then only bound
/// and executed, with typed binds and typed row decoding: the server skips parsing and planning,
/// and the platform skips SQLKit's generic encoding and decoding. Elsewhere it runs through SQLKit.
package protocol PreparedStatement: Sendable {
    associatedtype Row: Sendable
    /// Unique per statement and stable across runs: the name it is prepared under. Prefix it with
    /// the module that owns it.
    static var name: String { get }
    /// The SQL, with `$1` … `$n` placeholders (a number may repeat) and no other `$`. It is
    /// prepared as written.
    static var sql: String { get }
    /// The values of `$1` … `$n`, in that order.
    var values: [StatementValue] { get }
    /// One result row, its columns read in the order the statement returns them.
    static func row(_ columns: inout StatementColumns) throws -> Row
}

extension PreparedStatement where Row == Void {
    package static func row(_ columns: inout StatementColumns) throws {}
}

/// The column types the schema uses: text and 64-bit integers, either possibly NULL.
package enum StatementValue: Sendable, Encodable {
    case text(String?)
    case integer(Int64?)

    /// The value as a SQLKit bind (`BatchWrites` rows).
    var bound: any Encodable & Sendable {
        switch self {
        case let .text(text): text
        case let .integer(integer): integer
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case let .text(value?): try container.encode(value)
        case let .integer(value?): try container.encode(value)
        case .text(nil), .integer(nil): try container.encodeNil()
        }
    }
}

/// The columns of one result row, read front to back.
package struct StatementColumns {
    private enum Source {
        case postgres(PostgresRow.Iterator)
        case sql(any SQLRow, [String], Int)
    }

    private var source: Source

    init(_ row: PostgresRow) { source = .postgres(row.makeIterator()) }

    /// A row from a plain SQLKit query, read in the order of its columns.
    package init(_ row: any SQLRow) { source = .sql(row, row.allColumns, 0) }

    package mutating func text() throws -> String { try next(String.self) }
    package mutating func optionalText() throws -> String? { try next(String?.self) }
    package mutating func integer() throws -> Int64 { try next(Int64.self) }
    package mutating func optionalInteger() throws -> Int64? { try next(Int64?.self) }

    private mutating func next<T: PostgresDecodable & Decodable>(_ type: T.Type) throws -> T {
        switch source {
        case var .postgres(cells):
            guard let cell = cells.next() else { throw StatementColumnsError() }
            source = .postgres(cells)
            return try cell.decode(T.self)
        case let .sql(row, names, index):
            guard index < names.count else { throw StatementColumnsError() }
            source = .sql(row, names, index + 1)
            return try row.decode(column: names[index], as: T.self)
        }
    }
}

struct StatementColumnsError: Error, CustomStringConvertible {
    var description: String { "the statement returned fewer columns than its row reads" }
}

extension SQLDatabase {
    /// Runs `statement`: prepared on a PostgreSQL connection of the platform's driver, through
    /// SQLKit with the same SQL and values on any other database.
    package func execute<S: PreparedStatement>(_ statement: S) async throws -> [S.Row] {
        if let session = self as? PostgresSession {
            var rows: [S.Row] = []
            for try await row in try await session.connection.execute(PostgresStatement(statement), logger: session.logger) {
                rows.append(row)
            }
            return rows
        }
        let collected = Mutex<[any SQLRow]>([])
        try await execute(sql: PlaceholderSQL(sql: S.sql, values: statement.values)) { row in
            collected.withLock { $0.append(row) }
        }
        return try collected.withLock { $0 }.map { row in
            var columns = StatementColumns(row)
            return try S.row(&columns)
        }
    }
}

/// The statement's text with each `$n` written as the dialect's placeholder for that value.
private struct PlaceholderSQL: SQLExpression {
    let sql: String
    let values: [StatementValue]

    func serialize(to serializer: inout SQLSerializer) {
        var text = Substring(sql)
        while let dollar = text.firstIndex(of: "$") {
            serializer.write(String(text[..<dollar]))
            let digits = text[text.index(after: dollar)...].prefix(while: \.isASCIIDigit)
            if let number = Int(digits), values.indices.contains(number - 1) {
                serializer.write(bind: values[number - 1])
            } else {
                serializer.write("$" + digits)
            }
            text = text[text.index(after: dollar)...].dropFirst(digits.count)
        }
        serializer.write(String(text))
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isWholeNumber }
}

/// The adapter PostgresNIO prepares and caches per connection under the statement's name.
private struct PostgresStatement<S: PreparedStatement>: PostgresPreparedStatement {
    typealias Row = S.Row
    static var name: String { S.name }
    static var sql: String { S.sql }
    let statement: S

    init(_ statement: S) { self.statement = statement }

    func makeBindings() throws -> PostgresBindings {
        let values = statement.values
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case let .text(text): bindings.append(text)
            case let .integer(number): bindings.append(number)
            }
        }
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> S.Row {
        var columns = StatementColumns(row)
        return try S.row(&columns)
    }
}

/// A connection of the PostgreSQL driver: SQLKit queries go to `base`, prepared statements to
/// `connection` directly.
struct PostgresSession: SQLDatabase {
    let connection: PostgresConnection
    let base: any SQLDatabase
    /// The statement names of the database this connection belongs to.
    let prepared: AutoPrepared

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        base.execute(sql: query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        guard try await prepared.run(query, on: self, onRow) else {
            return try await base.execute(sql: query, onRow)
        }
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }
}
