import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing

/// The issue's "done when" walk, over a real socket: admin key -> organizer -> event and variants ->
/// publish -> public availability; a second organizer sees none of it.
@Suite struct NewUserWalkthroughTests {
    @Test(arguments: TestEngines.all)
    func walkthroughOverHTTP(engine: DatabaseEngine) async throws {
        try await withTestDatabase(engine) { database in
            let admin = try await issueAdminKey(database)
            let app = Application(router: buildRouter(.testing(database: database, clock: ManualClock())),
                                  configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
            try await app.test(.live) { raw in
                let client = APITestClient(raw)
                let first = try await client.createOrganizer(admin: admin, slug: "first-org")
                let second = try await client.createOrganizer(admin: admin, slug: "second-org")
                let event = try await client.createEvent(first.key)
                let variants = [
                    try await client.createVariant(first.key, event: event, name: "Early", price: 1500, quota: 10),
                    try await client.createVariant(first.key, event: event, name: "Regular", price: 2500, quota: 20),
                ]
                #expect(try await client.patch("/api/v1/events/\(event)", key: first.key, json: #"{"status":"live"}"#).status == .ok)

                let shown = try await client.get("/api/v1/public/events/\(event)")
                #expect(shown.status == .ok)
                let available = (shown.json["variants"] as? [[String: Any]])?.map { $0["available"] as? Int }
                #expect(available == [10, 20])

                #expect(try await client.get("/api/v1/events/\(event)", key: second.key).status == .notFound)
                #expect(try await client.patch("/api/v1/events/\(event)", key: second.key, json: #"{"title":"x"}"#).status == .notFound)
                for variant in variants {
                    #expect(try await client.patch("/api/v1/variants/\(variant)", key: second.key, json: #"{"price":1}"#).status == .notFound)
                }
                let tooBig = try await client.post("/api/v1/events", key: first.key,
                                                   json: #"{"title":"\#(String(repeating: "x", count: 1_100_000))"}"#)
                #expect(tooBig.status == .contentTooLarge)
            }
        }
    }
}
