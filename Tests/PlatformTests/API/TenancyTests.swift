import Hummingbird
import Platform
import PlatformTesting
import Testing

/// Another organizer's events and variants must look exactly like missing ones, on every route.
@Suite struct TenancyTests {
    @Test(arguments: TestEngines.all)
    func everyOrganizerRouteAnswers404ForAnotherOrganizersData(engine: DatabaseEngine) async throws {
        try await withTestAPI(engine) { client, database in
            let admin = try await issueAdminKey(database)
            let owner = try await client.createOrganizer(admin: admin, slug: "owner")
            let intruder = try await client.createOrganizer(admin: admin, slug: "intruder")
            let event = try await client.createEvent(owner.key, status: "live")
            let variant = try await client.createVariant(owner.key, event: event)
            let ownerView = try await client.get("/api/v1/events/\(event)", key: owner.key).text
            let before = try await rowCounts(database)

            let attempts: [(HTTPRequest.Method, String, String?)] = [
                (.get, "/api/v1/events/\(event)", nil),
                (.patch, "/api/v1/events/\(event)", #"{"title":"mine now"}"#),
                (.patch, "/api/v1/events/\(event)", #"{"status":"cancelled"}"#),
                (.post, "/api/v1/events/\(event)/variants", #"{"name":"X","price":1,"quota":1}"#),
                (.patch, "/api/v1/variants/\(variant)", #"{"price":1}"#),
            ]
            for (method, path, body) in attempts {
                let foreign = try await client.send(method, path, key: intruder.key, json: body)
                let missingPath = path.replacingOccurrences(of: event, with: "evt_00000000000000000000000000")
                    .replacingOccurrences(of: variant, with: "var_00000000000000000000000000")
                let missing = try await client.send(method, missingPath, key: intruder.key, json: body)
                #expect(foreign.status == .notFound, "\(method) \(path)")
                #expect(foreign.json["detail"] as? String == missing.json["detail"] as? String, "indistinguishable from missing: \(path)")
                #expect(foreign.json["type"] as? String == missing.json["type"] as? String)
            }
            let list = try await client.get("/api/v1/events", key: intruder.key)
            #expect((list.json["data"] as? [Any])?.isEmpty == true)
            #expect(try await client.get("/api/v1/events/\(event)", key: owner.key).text == ownerView, "nothing changed")
            #expect(try await rowCounts(database) == before)
        }
    }
}
