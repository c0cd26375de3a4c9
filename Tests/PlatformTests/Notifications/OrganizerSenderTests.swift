import Foundation
import Platform
import PlatformTesting
import Testing

/// Each organizer's own sender name and reply-to on the emails about its orders.
@Suite struct OrganizerSenderTests {
    @Test(arguments: TestEngines.all)
    func anOrganizersSenderNameAndReplyToGoOnItsEmails(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let me = try #require((try await h.client.get("/api/v1/events/\(h.eventID)", key: h.organizerKey)).json["organizer_id"] as? String)
            let set = try await h.client.patch("/api/v1/organizers/\(me)", key: h.organizerKey,
                                               json: #"{"sender_name":"Harness Box Office","reply_to":"boxoffice@harness.example"}"#)
            #expect(set.status == .ok, "\(set.text)")
            #expect(set.string("sender_name") == "Harness Box Office" && set.string("reply_to") == "boxoffice@harness.example")

            let id = try await paid(h)
            _ = try await h.deliver(id: "refund-\(id)", type: "refunded", order: id, amount: 2_500)
            await h.drain()
            let notice = try #require(try await notices(h).last)
            #expect(notice.content.sender == MailAddress(email: h.platform.config.mailFrom, name: "Harness Box Office"))
            #expect(notice.content.replyTo == "boxoffice@harness.example")

            // Cleared, the organizer's own name and email are used again.
            let cleared = try await h.client.patch("/api/v1/organizers/\(me)", key: h.organizerKey, json: #"{"sender_name":null,"reply_to":null}"#)
            #expect(cleared.status == .ok && cleared.json["sender_name"] == nil)
            let next = try await paid(h)
            _ = try await h.deliver(id: "refund-\(next)", type: "refunded", order: next, amount: 2_500)
            await h.drain()
            let plain = try #require(try await notices(h).last)
            #expect(plain.content.sender.name == "Harness" && plain.content.replyTo == "h@harness.example")
        }
    }

    @Test(arguments: TestEngines.all)
    func badSettingsAndOtherOrganizersAreRefused(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let created = try await h.client.post("/api/v1/organizers", key: h.adminKey,
                                                  json: #"{"name":"Hall","slug":"hall","email":"hall@example.com","sender_name":"Hall Tickets","reply_to":"desk@hall.example"}"#)
            #expect(created.status == .created, "\(created.text)")
            let hall = try #require((created.json["organizer"] as? [String: Any])?["id"] as? String)
            #expect((created.json["organizer"] as? [String: Any])?["sender_name"] as? String == "Hall Tickets")

            let bad = try await h.client.post("/api/v1/organizers", key: h.adminKey,
                                              json: #"{"name":"Bad","slug":"bad","email":"bad@example.com","reply_to":"nope"}"#)
            #expect(bad.status == .unprocessableContent && bad.errorFields == ["reply_to"])
            let listed = try await h.client.get("/api/v1/organizers", key: h.adminKey)
            #expect((listed.json["data"] as? [[String: Any]])?.count == 2, "a rejected organizer is not stored")

            let injected = try await h.client.patch("/api/v1/organizers/\(hall)", key: h.adminKey, json: #"{"sender_name":"Hall\r\nBcc: x@evil.example"}"#)
            #expect(injected.status == .unprocessableContent && injected.errorFields == ["sender_name"])
            #expect(try await h.client.patch("/api/v1/organizers/\(hall)", key: h.organizerKey, json: #"{"sender_name":"Mine"}"#).status == .notFound)
            let unchanged = try await h.client.get("/api/v1/organizers", key: h.adminKey)
            let row = (unchanged.json["data"] as? [[String: Any]])?.first { $0["id"] as? String == hall }
            #expect(row?["sender_name"] as? String == "Hall Tickets")
        }
    }

    private func paid(_ h: CheckoutHarness) async throws -> String {
        let placed = try await h.placeOrder()
        let id = try #require(placed.orderID)
        _ = try await h.deliver(id: "paid-\(id)", type: "paid", order: id, amount: 2_500)
        await h.drain()
        return id
    }

    private func notices(_ h: CheckoutHarness) async throws -> [OutboxMessage] {
        let engine = h.database.engine
        return try await h.database.read { sql in
            try await OutboxRepository(sql, engine: engine).list(statuses: OutboxStatus.allCases, after: nil, limit: 100).filter { $0.kind == .refundNotice }
        }
    }
}
