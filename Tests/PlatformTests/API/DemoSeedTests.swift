import Platform
import PlatformTesting
import Testing

@Suite struct DemoSeedTests {
    @Test(arguments: TestEngines.all)
    func seedingTwiceChangesNothingButTheKeys(engine: DatabaseEngine) async throws {
        try await withTestDatabase(engine) { database in
            let clock = ManualClock()
            let seed = DemoSeed(catalog: Catalog(database: database, clock: clock))
            let first = try await seed.run()
            let counts = try await rowCounts(database, tables: ["organizers", "events", "ticket_variants"])
            // One organizer and one event beside the platform's own seller row of credit packs and its event.
            #expect(counts == ["organizers": 2, "events": 2, "ticket_variants": 3])
            #expect(first.event.status == .live)
            #expect(first.variants.allSatisfy { $0.status == .live })

            clock.advance(minutes: 5)
            let second = try await seed.run()
            #expect(try await rowCounts(database, tables: ["organizers", "events", "ticket_variants"]) == counts)
            #expect(second.event.id == first.event.id)
            #expect(second.adminKey.secret != first.adminKey.secret)

            let app = Application(router: buildRouter(.testing(database: database, clock: clock)), logger: quietLogger)
            try await app.test(.router) { raw in
                let client = APITestClient(raw)
                #expect(try await client.get("/api/v1/organizers", key: first.adminKey.secret).status == .unauthorized, "replaced")
                #expect(try await client.get("/api/v1/events", key: first.organizerKey.secret).status == .unauthorized, "replaced")
                #expect(try await client.get("/api/v1/organizers", key: second.adminKey.secret).status == .ok)
                let events = try await client.get("/api/v1/events", key: second.organizerKey.secret)
                #expect((events.json["data"] as? [[String: Any]])?.first?["id"] as? String == first.event.id.rawValue)
                let publicEvent = try await client.get("/api/v1/public/events/\(first.event.id)")
                #expect((publicEvent.json["variants"] as? [Any])?.count == 3)
            }
        }
    }
}

import Hummingbird
import HummingbirdTesting
