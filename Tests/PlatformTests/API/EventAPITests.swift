import Hummingbird
import Platform
import PlatformTesting
import SQLKit
import Testing

@Suite struct EventAPITests {
    @Test(arguments: TestEngines.all)
    func publishedEventIsPublicWithAvailability(engine: DatabaseEngine) async throws {
        try await withTestAPI(engine) { client, database in
            let admin = try await issueAdminKey(database)
            let organizer = try await client.createOrganizer(admin: admin, slug: "pub")
            let event = try await client.createEvent(organizer.key)
            let ga = try await client.createVariant(organizer.key, event: event, name: "GA", price: 2500, quota: 100)
            _ = try await client.createVariant(organizer.key, event: event, name: "Crew", price: 0, quota: 5, status: "hidden")
            _ = try await client.createVariant(organizer.key, event: event, name: "Later", price: 900, quota: 5, status: "draft")

            #expect(try await client.get("/api/v1/public/events/\(event)").status == .notFound, "a draft event is not public")
            let published = try await client.patch("/api/v1/events/\(event)", key: organizer.key, json: #"{"status":"live"}"#)
            #expect(published.status == .ok)
            #expect(published.string("status") == "live")

            try await database.transaction { sql in
                try await sql.raw("UPDATE ticket_variants SET sold = 30, reserved = 5 WHERE id = \(bind: ga)").run()
            }
            let reply = try await client.get("/api/v1/public/events/\(event)")
            #expect(reply.status == .ok)
            #expect(reply.string("title") == "Summer Gig")
            #expect(reply.string("starts_at") == "2026-07-01T19:00:00Z")
            let variants = try #require(reply.json["variants"] as? [[String: Any]])
            #expect(variants.map { $0["name"] as? String } == ["GA"], "hidden and draft variants stay private")
            #expect(variants.first?["available"] as? Int == 65)
            #expect(variants.first?["price"] as? Int == 2500)
            #expect(variants.first?["currency"] as? String == "EUR")
            #expect(variants.first?["on_sale"] as? Bool == true)
            #expect(reply.json["organizer_id"] == nil && reply.json["redirect_origins"] == nil, "no internal fields")
        }
    }

    @Test(arguments: TestEngines.all)
    func organizerReadsAndEditsItsEvent(engine: DatabaseEngine) async throws {
        try await withTestAPI(engine) { client, database in
            let admin = try await issueAdminKey(database)
            let organizer = try await client.createOrganizer(admin: admin, slug: "edit")
            let event = try await client.createEvent(organizer.key)
            let variant = try await client.createVariant(organizer.key, event: event)

            let shown = try await client.get("/api/v1/events/\(event)", key: organizer.key)
            #expect(shown.string("status") == "draft")
            #expect(shown.json["reservation_minutes"] as? Int == 15)
            #expect((shown.json["variants"] as? [[String: Any]])?.count == 1)

            let edited = try await client.patch("/api/v1/events/\(event)", key: organizer.key,
                                                json: #"{"title":"Winter Gig","venue":null,"redirect_origins":["https://shop.example.com"]}"#)
            #expect(edited.status == .ok)
            #expect(edited.string("title") == "Winter Gig")
            #expect(edited.json["venue"] == nil)
            #expect(edited.json["redirect_origins"] as? [String] == ["https://shop.example.com"])
            #expect(edited.string("starts_at") == "2026-07-01T19:00:00Z", "fields not sent are kept")

            let variantEdit = try await client.patch("/api/v1/variants/\(variant)", key: organizer.key,
                                                     json: #"{"price":3000,"max_per_order":4,"status":"hidden"}"#)
            #expect(variantEdit.status == .ok)
            #expect(variantEdit.json["price"] as? Int == 3000)
            #expect(variantEdit.json["max_per_order"] as? Int == 4)
            let cleared = try await client.patch("/api/v1/variants/\(variant)", key: organizer.key, json: #"{"max_per_order":null}"#)
            #expect(cleared.json["max_per_order"] == nil)

            let list = try await client.get("/api/v1/events", key: organizer.key)
            #expect((list.json["data"] as? [[String: Any]])?.map { $0["id"] as? String } == [event])
        }
    }

    @Test(arguments: TestEngines.all)
    func cancelledIsFinal(engine: DatabaseEngine) async throws {
        try await withTestAPI(engine) { client, database in
            let admin = try await issueAdminKey(database)
            let organizer = try await client.createOrganizer(admin: admin, slug: "cancel")
            let event = try await client.createEvent(organizer.key, status: "live")
            #expect(try await client.patch("/api/v1/events/\(event)", key: organizer.key, json: #"{"status":"cancelled"}"#).status == .ok)
            let revive = try await client.patch("/api/v1/events/\(event)", key: organizer.key, json: #"{"status":"live"}"#)
            #expect(revive.status == .unprocessableContent)
            #expect(revive.errorFields == ["status"])
            #expect(try await client.get("/api/v1/public/events/\(event)").status == .notFound)
            let variant = try await client.post("/api/v1/events/\(event)/variants", key: organizer.key, json: #"{"name":"GA","price":1,"quota":1}"#)
            #expect(variant.status == .conflict)
        }
    }

    @Test(arguments: TestEngines.all)
    func quotaCannotDropBelowSeatsTaken(engine: DatabaseEngine) async throws {
        try await withTestAPI(engine) { client, database in
            let admin = try await issueAdminKey(database)
            let organizer = try await client.createOrganizer(admin: admin, slug: "quota")
            let event = try await client.createEvent(organizer.key)
            let variant = try await client.createVariant(organizer.key, event: event, quota: 50)
            try await database.transaction { sql in
                try await sql.raw("UPDATE ticket_variants SET sold = 20, reserved = 10 WHERE id = \(bind: variant)").run()
            }
            let tooLow = try await client.patch("/api/v1/variants/\(variant)", key: organizer.key, json: #"{"quota":29}"#)
            #expect(tooLow.status == .unprocessableContent)
            #expect(tooLow.errorFields == ["quota"])
            let exact = try await client.patch("/api/v1/variants/\(variant)", key: organizer.key, json: #"{"quota":30}"#)
            #expect(exact.status == .ok)
            #expect(exact.json["available"] as? Int == 0)
            let currency = try await client.patch("/api/v1/events/\(event)", key: organizer.key, json: #"{"currency":"USD"}"#)
            #expect(currency.status == .unprocessableContent, "currency is fixed once seats are taken")
        }
    }
}
