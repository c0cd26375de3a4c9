import Foundation
import Hummingbird
import Logging
import HummingbirdTesting
import Platform

/// A JSON-speaking wrapper around HummingbirdTesting's client, for API tests.
package struct APITestClient: Sendable {
    package let client: any TestClientProtocol

    package init(_ client: any TestClientProtocol) { self.client = client }

    package struct Reply: Sendable {
        package let status: HTTPResponse.Status
        package let headers: HTTPFields
        package let body: Data

        /// The body as a JSON object (empty when it is not one).
        package var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
        package var text: String { String(decoding: body, as: UTF8.self) }
        package func string(_ key: String) -> String? { json[key] as? String }
        /// The id of the order a checkout answered with.
        package var orderID: String? { (json["order"] as? [String: Any])?["id"] as? String }
        /// Field names of a problem's `errors`.
        package var errorFields: [String] { (json["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String } ?? [] }
    }

    package func send(_ method: HTTPRequest.Method, _ path: String, key: String? = nil, json: String? = nil,
                     headers extra: HTTPFields = [:]) async throws -> Reply {
        var headers = extra
        if let key { headers[.authorization] = "Bearer \(key)" }
        if json != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        let body = json.map { ByteBuffer(string: $0) }
        return try await client.execute(uri: path, method: method, headers: headers, body: body) { response in
            Reply(status: response.status, headers: response.headers, body: Data(buffer: response.body))
        }
    }

    package func get(_ path: String, key: String? = nil) async throws -> Reply { try await send(.get, path, key: key) }
    package func post(_ path: String, key: String?, json: String) async throws -> Reply { try await send(.post, path, key: key, json: json) }
    package func patch(_ path: String, key: String?, json: String) async throws -> Reply { try await send(.patch, path, key: key, json: json) }
}

/// Runs `body` against a fresh, migrated database of `engine` with the API router in front of it.
package func withTestAPI(
    _ engine: DatabaseEngine, clock: ManualClock = ManualClock(), config: PlatformConfig = PlatformConfig(),
    _ body: @escaping @Sendable (APITestClient, any Database) async throws -> Void
) async throws {
    try await withTestDatabase(engine) { database in
        let app = Application(router: buildRouter(.testing(database: database, clock: clock, config: config)), logger: quietLogger)
        try await app.test(.router) { client in try await body(APITestClient(client), database) }
    }
}

extension Platform {
    /// The kernel alone, for API tests: no providers, modules, mail or pages.
    package static func testing(database: any Database, clock: any WallClock = ManualClock(), config: PlatformConfig = PlatformConfig()) -> Platform {
        Platform(database: database, clock: clock, config: config, logger: quietLogger, providers: PaymentProviders(), modules: [], mail: nil,
                 pages: nil)
    }
}

/// Tests log only what goes wrong.
package let quietLogger = Logger(label: "test", factory: { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = .error
    return handler
})

/// An admin key issued straight into the database, as `platform admin create-key` does.
package func issueAdminKey(_ database: any Database, clock: any WallClock = ManualClock()) async throws -> String {
    try await database.transaction { sql in try await APIKeys.issue(scope: .admin, label: "test", on: sql, at: clock.now()).secret }
}
