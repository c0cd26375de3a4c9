import Foundation
import Platform
import PlatformTesting
import Testing
@testable import Ticketing

@Suite struct OpenAPICoverageTests {
    /// The committed document lists exactly the routes of the kernel with the Ticketing module.
    @Test func theDocumentListsEveryRouteOfTheComposedPlatform() async throws {
        try await TicketingHarness.run(.sqlite) { h in
            let routes = RouteCatalog()
            _ = buildRouter(h.base.platform, catalog: routes)
            let reply = try await h.client.get("/api/v1/openapi.json")
            let paths = try #require(reply.json["paths"] as? [String: [String: Any]])
            let documented = Set(paths.flatMap { path, operations in
                operations.keys.filter { ["get", "post", "patch", "put", "delete"].contains($0) }.map { "\($0.uppercased()) \(path)" }
            })
            #expect(documented == Set(routes.routes), "undocumented: \(Set(routes.routes).subtracting(documented)); stale: \(documented.subtracting(routes.routes))")
        }
    }
}
