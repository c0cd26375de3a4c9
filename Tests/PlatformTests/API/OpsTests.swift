import HTTPTypes
import Foundation
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing

@Suite struct OpsTests {
    @Test(arguments: TestEngines.all)
    func healthChecksTheDatabase(engine: DatabaseEngine) async throws {
        try await withTestAPI(engine) { client, _ in
            let reply = try await client.get("/health")
            #expect(reply.status == .ok)
            #expect(reply.string("database") == "ok")
            #expect(reply.string("engine") == engine.rawValue)
        }
    }

    @Test func metricsCountRequests() async throws {
        try await withTestAPI(.sqlite) { client, _ in
            _ = try await client.get("/health")
            let reply = try await client.get("/metrics")
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType]?.hasPrefix("text/plain") == true)
            #expect(reply.text.contains(#"hb_requests{http_route="/health",http_request_method="GET",http_response_status_code="200"}"#))
            #expect(reply.text.contains("http_server_request_duration_bucket"))
        }
    }

    @Test func unknownRoutesAreProblems() async throws {
        try await withTestAPI(.sqlite) { client, _ in
            let reply = try await client.get("/api/v1/nothing-here")
            #expect(reply.status == .notFound)
            #expect(reply.headers[.contentType] == "application/problem+json")
            #expect(reply.headers[HTTPField.Name("X-Request-Id")!] == reply.string("request_id"))
        }
    }

    @Test func requestIDsAreEchoedWhenSane() async throws {
        try await withTestAPI(.sqlite) { client, _ in
            let given = try await client.send(.get, "/health", headers: [HTTPField.Name("X-Request-Id")!: "trace-123"])
            #expect(given.headers[HTTPField.Name("X-Request-Id")!] == "trace-123")
            let hostile = try await client.send(.get, "/health", headers: [HTTPField.Name("X-Request-Id")!: "a b\"c"])
            #expect(hostile.headers[HTTPField.Name("X-Request-Id")!] != "a b\"c")
        }
    }

    /// The committed OpenAPI document describes exactly the routes the router registers.
    @Test func openAPIDocumentCoversEveryRoute() async throws {
        let routes = RouteCatalog()
        _ = buildRouter(.testing(database: NoDatabase()), catalog: routes)
        try await withTestAPI(.sqlite) { client, _ in
            let reply = try await client.get("/api/v1/openapi.json")
            #expect(reply.status == .ok)
            #expect(reply.string("openapi")?.hasPrefix("3.1") == true)
            let paths = try #require(reply.json["paths"] as? [String: [String: Any]])
            let documented = Set(paths.flatMap { path, operations in
                operations.keys.filter { ["get", "post", "patch", "put", "delete"].contains($0) }.map { "\($0.uppercased()) \(path)" }
            })
            // The document also covers the modules' routes; TicketingTests checks the whole set exactly.
            #expect(Set(routes.routes).isSubset(of: documented), "undocumented: \(Set(routes.routes).subtracting(documented))")
        }
    }
}

/// A database that is never reached: enough to build the router and read its route catalog.
struct NoDatabase: Database {
    let engine = DatabaseEngine.sqlite
    struct Unreachable: Error {}
    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T { throw Unreachable() }
    func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T { throw Unreachable() }
    func close() async {}
}

import SQLKit
