import Hummingbird
import Platform
import PlatformTesting
import Testing

/// Bad input answers a problem+json naming the field and writes nothing.
@Suite struct BadInputTests {
    static let validEvent = #""title":"T","starts_at":"2026-07-01T19:00:00Z","timezone":"Europe/Berlin","currency":"EUR""#

    @Test(arguments: TestEngines.all)
    func eventInputs(engine: DatabaseEngine) async throws {
        try await withTestAPI(engine) { client, database in
            let admin = try await issueAdminKey(database)
            let organizer = try await client.createOrganizer(admin: admin, slug: "bad")
            let before = try await rowCounts(database)
            let cases: [(String, HTTPResponse.Status, [String])] = [
                (#"{"title": "#, .badRequest, []),
                ("[1,2]", .badRequest, []),
                ("", .badRequest, []),
                (#"{"title":42,"starts_at":"2026-07-01T19:00:00Z","timezone":"Europe/Berlin","currency":"EUR"}"#, .unprocessableContent, ["title"]),
                ("{\(Self.validEvent),\"currency\":\"ZZZ\"}".replacingOccurrences(of: #""currency":"EUR","#, with: ""), .unprocessableContent, ["currency"]),
                (#"{"title":"T","starts_at":"2026-07-01T19:00:00Z","timezone":"Europe/Berlin","currency":"XYZ"}"#, .unprocessableContent, ["currency"]),
                ("{\(Self.validEvent),\"ends_at\":\"2026-07-01T18:00:00Z\"}", .unprocessableContent, ["ends_at"]),
                ("{\(Self.validEvent),\"ends_at\":\"yesterday\"}", .unprocessableContent, ["ends_at"]),
                (#"{"title":"T","starts_at":"2026-07-01T19:00:00Z","timezone":"Nowhere/Land","currency":"EUR"}"#, .unprocessableContent, ["timezone"]),
                (#"{"starts_at":"2026-07-01T19:00:00Z","currency":"EUR"}"#, .unprocessableContent, ["title", "timezone"]),
                ("{\(Self.validEvent),\"status\":\"published\"}", .unprocessableContent, ["status"]),
                ("{\(Self.validEvent),\"reservation_minutes\":99999999999999}", .unprocessableContent, ["reservation_minutes"]),
                ("{\(Self.validEvent),\"redirect_origins\":[\"javascript:alert(1)\"]}", .unprocessableContent, ["redirect_origins"]),
            ]
            for (body, status, fields) in cases {
                let reply = try await client.post("/api/v1/events", key: organizer.key, json: body)
                #expect(reply.status == status, "\(body)")
                #expect(reply.headers[.contentType] == "application/problem+json")
                #expect(reply.errorFields == fields, "\(body): \(reply.text)")
                #expect(reply.json["status"] as? Int == Int(status.code))
                #expect((reply.json["detail"] as? String)?.isEmpty == false)
            }
            #expect(try await rowCounts(database) == before)
        }
    }

    @Test(arguments: TestEngines.all)
    func variantInputs(engine: DatabaseEngine) async throws {
        try await withTestAPI(engine) { client, database in
            let admin = try await issueAdminKey(database)
            let organizer = try await client.createOrganizer(admin: admin, slug: "badvar")
            let event = try await client.createEvent(organizer.key)
            let variant = try await client.createVariant(organizer.key, event: event)
            let before = try await rowCounts(database)
            let original = try await client.get("/api/v1/events/\(event)", key: organizer.key).text
            let creates: [(String, [String])] = [
                (#"{"name":"GA","price":-1,"quota":10}"#, ["price"]),
                (#"{"name":"GA","price":100,"quota":-1}"#, ["quota"]),
                (#"{"name":"GA","price":"12.50","quota":10}"#, ["price"]),
                (#"{"name":"GA","price":12.5,"quota":10}"#, ["price"]),
                (#"{"name":"GA","price":100}"#, ["quota"]),
                (#"{"name":"","price":100,"quota":1,"max_per_order":0}"#, ["name", "max_per_order"]),
                (#"{"name":"GA","price":100,"quota":1,"sales_start":"2026-06-02T00:00:00Z","sales_end":"2026-06-01T00:00:00Z"}"#, ["sales_end"]),
                (#"{"name":"GA","price":100000000000000000000,"quota":1}"#, ["price"]),
            ]
            for (body, fields) in creates {
                let reply = try await client.post("/api/v1/events/\(event)/variants", key: organizer.key, json: body)
                #expect(reply.status == .unprocessableContent, "\(body)")
                #expect(reply.errorFields == fields, "\(body): \(reply.text)")
            }
            let patches: [(String, [String])] = [
                (#"{"price":-5}"#, ["price"]),
                (#"{"quota":-1}"#, ["quota"]),
                (#"{"name":null}"#, ["name"]),
                (#"{"status":"sold"}"#, ["status"]),
                (#"{"price":1,"quota":"many"}"#, ["quota"]),
            ]
            for (body, fields) in patches {
                let reply = try await client.patch("/api/v1/variants/\(variant)", key: organizer.key, json: body)
                #expect(reply.status == .unprocessableContent, "\(body)")
                #expect(reply.errorFields == fields, "\(body): \(reply.text)")
            }
            let eventPatch = try await client.patch("/api/v1/events/\(event)", key: organizer.key,
                                                    json: #"{"title":"New","ends_at":"2020-01-01T00:00:00Z"}"#)
            #expect(eventPatch.errorFields == ["ends_at"])
            #expect(try await rowCounts(database) == before)
            #expect(try await client.get("/api/v1/events/\(event)", key: organizer.key).text == original, "nothing half-written")
        }
    }

    @Test(arguments: TestEngines.all)
    func bodyLimitAndMediaType(engine: DatabaseEngine) async throws {
        var config = PlatformConfig()
        config.maxBodyBytes = 4096
        try await withTestAPI(engine, config: config) { client, database in
            let admin = try await issueAdminKey(database)
            let organizer = try await client.createOrganizer(admin: admin, slug: "limits")
            let before = try await rowCounts(database)
            let huge = "{\(Self.validEvent),\"venue\":\"\(String(repeating: "v", count: 5000))\"}"
            let tooLarge = try await client.post("/api/v1/events", key: organizer.key, json: huge)
            #expect(tooLarge.status == .contentTooLarge)
            #expect(tooLarge.string("detail") == "the body must be at most 4096 bytes")
            let form = try await client.send(.post, "/api/v1/events", key: organizer.key, json: "a=b",
                                             headers: [.contentType: "application/x-www-form-urlencoded"])
            #expect(form.status == .unsupportedMediaType)
            #expect(try await rowCounts(database) == before)
        }
    }
}
