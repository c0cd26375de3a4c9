import Foundation
import Logging
import PluginKit
import PostgresKit
import PostgresNIO
import SQLKit

/// PostgreSQL through PostgresNIO's pooled client, whose run loop this driver owns.
final class PostgresDatabaseDriver: Database {
    let engine = DatabaseEngine.postgres
    let client: PostgresClient
    private let runTask: Task<Void, Never>
    /// The names of this pool's prepared statements (`AutoPrepared`).
    let prepared = AutoPrepared()

    private init(client: PostgresClient) {
        self.client = client
        self.runTask = Task { await client.run() }
    }

    static func open(url: String, logger: Logger, startupTimeout: Duration) async throws -> PostgresDatabaseDriver {
        let driver = PostgresDatabaseDriver(client: PostgresClient(configuration: try configuration(from: url), backgroundLogger: logger))
        // Fail at start-up, not on the first request, when the server cannot be reached. The pool
        // retries connecting for ever, so the first query is bounded here.
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try await driver.read { sql in try await sql.raw("SELECT 1 AS one").first() } }
                group.addTask {
                    try await Task.sleep(for: startupTimeout)
                    throw DatabaseConfigurationError("no answer within \(startupTimeout)")
                }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            await driver.close()
            throw DatabaseConfigurationError("cannot connect to PostgreSQL at \(redacted(url)): \(String(reflecting: error).prefix(300))")
        }
        return driver
    }

    /// `postgres://user:password@host:port/database?sslmode=disable|prefer|require&search_path=schema&pool_size=N`
    static func configuration(from text: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: text), let host = components.host, !host.isEmpty else {
            throw DatabaseConfigurationError("DATABASE_URL is not a valid postgres:// URL: \(redacted(text))")
        }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        let tls: PostgresClient.Configuration.TLS
        switch query["sslmode"] ?? "prefer" {
        case "disable": tls = .disable
        case "require", "verify-full", "verify-ca": tls = .require(.makeClientConfiguration())
        default: tls = .prefer(.makeClientConfiguration())
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        var configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432,
            username: components.percentEncodedUser?.removingPercentEncoding ?? "postgres",
            password: components.percentEncodedPassword?.removingPercentEncoding,
            database: database.isEmpty ? nil : database, tls: tls)
        if let schema = query["search_path"], !schema.isEmpty {
            configuration.options.additionalStartupParameters = [("search_path", schema)]
        }
        if let size = query["pool_size"].flatMap(Int.init), size > 0 {
            configuration.options.maximumConnections = size
        } else {
            configuration.options.maximumConnections = 20
        }
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    /// The URL without its password, fit for logs and errors.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "postgres://…" }
        if components.password != nil { components.password = "***" }
        return components.string ?? "postgres://…"
    }

    /// How long a caller waits for a pooled connection before it is told the database is unavailable:
    /// long enough for a burst that queues behind busy connections (50 buyers of one wallet on a
    /// pool of 5 waited over 5 s on a loaded CI machine), short of a client's own timeout.
    static let connectionWait: Duration = .seconds(30)

    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await leased { [prepared] connection in try await body(Self.session(connection, prepared)) }
    }

    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await leased { [prepared] connection in try await Self.session(connection, prepared).inTransaction(body) }
    }

    /// Outside a transaction every PostgreSQL statement commits on its own: the same as a read.
    func autocommit<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await read(body)
    }

    private func leased<T: Sendable>(_ work: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let client = self.client
        return try await Self.reachable {
            try await ConnectionLease.bounded(within: Self.connectionWait) { start in
                try await client.withConnection { connection in
                    try await start(watching: { connection.isClosed }) { try await work(connection) }
                }
            }
        }
    }

    /// Turns the errors of a server that cannot be reached into `DatabaseUnavailable`; a transaction
    /// cut by them was rolled back by the server.
    private static func reachable<T>(_ work: () async throws -> T) async throws -> T {
        do {
            return try await work()
        } catch let error as PSQLError where unavailable(error) {
            throw DatabaseUnavailable(reason: error.serverInfo?[.sqlState].map { "SQLSTATE \($0)" } ?? "\(error.code)")
        } catch where String(reflecting: type(of: error)).hasSuffix(".ConnectionPoolError") {
            // The pool's own errors (its circuit breaker after failed connection attempts) come from a module PostgresNIO does not export.
            throw DatabaseUnavailable(reason: "\(error)")
        }
    }

    /// Connection-level failures, and the server's classes 08 (connection exception) and 57P (shutting
    /// down, cannot connect now): https://www.postgresql.org/docs/current/errcodes-appendix.html
    static func unavailable(_ error: PSQLError) -> Bool {
        switch error.code {
        case .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection, .poolClosed: return true
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("08") || state.hasPrefix("57P")
        default: return false
        }
    }

    private static func session(_ connection: PostgresConnection, _ prepared: AutoPrepared) -> PostgresSession {
        PostgresSession(connection: connection, base: connection.sql(queryLogLevel: nil), prepared: prepared)
    }

    func close() async {
        runTask.cancel()
        await runTask.value
    }
}
