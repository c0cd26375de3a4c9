import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing

/// A path the API has, asked with a method it does not have: 405 with Allow, not 404.
@Suite struct MethodNotAllowedTests {
    @Test(arguments: TestEngines.all)
    func aKnownPathWithAnotherMethodIs405WithAllow(engine: DatabaseEngine) async throws {
        try await withTestAPI(engine) { client, _ in
            let put = try await client.send(.put, "/api/v1/events")
            #expect(put.status == .methodNotAllowed)
            #expect(put.headers[.allow] == "GET, POST")
            #expect(put.headers[.contentType] == "application/problem+json")
            let delete = try await client.send(.delete, "/api/v1/events/evt_01m8pk2n4g58gcka9rrn7d17kx/variants")
            #expect(delete.status == .methodNotAllowed && delete.headers[.allow] == "POST")
            #expect(try await client.send(.put, "/api/v1/nothing-here").status == .notFound, "an unknown path stays 404")
            #expect(try await client.get("/api/v1/events").status == .unauthorized, "a known method goes on to the route")
        }
    }
}
