import Foundation
import HTTPTypes
import Hummingbird
import Platform
import PlatformTesting
import SQLKit
import Testing

/// The audit log: who changed what, for the organizer its own entries, for admins all; an order's
/// history; and nothing can rewrite it.
@Suite struct AuditLogTests {
    static func entries(_ reply: APITestClient.Reply) -> [[String: Any]] { reply.json["data"] as? [[String: Any]] ?? [] }
    static func actor(_ entry: [String: Any]) -> String? { (entry["actor"] as? [String: Any])?["kind"] as? String }

    @Test(arguments: TestEngines.all)
    func anOrdersHistorySaysWhoDidWhatAndWhen(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let placed = try await h.placeOrder(body: h.cart(quantity: 2))
            let order = try #require(placed.orderID)
            _ = try await h.deliver(id: "evt-1", type: "paid", order: order, amount: 5_000, reference: "pay-1")
            _ = try await h.deliver(id: "evt-1-again", type: "paid", order: order, amount: 5_000, reference: "pay-1")
            await h.drain()
            let refund = try await h.client.send(.post, "/api/v1/orders/\(order)/refunds", key: h.organizerKey, json: #"{"amount":1500,"reason":"late"}"#,
                                                 headers: [HTTPField.Name("X-Request-Id")!: "req-refund-42"])
            #expect(refund.status == .accepted)
            _ = try await h.deliver(id: "evt-2", type: "refunded", order: order, amount: 1_500)
            await h.drain()

            let history = try await h.client.get("/api/v1/orders/\(order)/history", key: h.organizerKey)
            #expect(history.status == .ok)
            let entries = Self.entries(history)
            #expect(entries.map { $0["action"] as? String }
                    == ["order.placed", "order.paid", "order.refund_requested", "order.refund_accepted", "order.refunded"])
            #expect(entries.map(Self.actor) == ["buyer", "provider", "api_key", "api_key", "provider"])
            try #require(entries.count == 5)
            let paid = entries[1], requested = entries[2], accepted = entries[3], refunded = entries[4]
            #expect(accepted["subject_id"] as? String == requested["subject_id"] as? String)
            #expect((accepted["changes"] as? [String: Any])?["provider_reference"] != nil)
            #expect((paid["actor"] as? [String: Any])?["id"] as? String == "test")
            #expect((paid["changes"] as? [String: Any])?["status"] as? [String: String] == ["from": "pending", "to": "paid"])
            #expect((paid["request_id"] as? String)?.hasPrefix("whk_") == true, "a provider's change names its inbox row")
            let keyID = try await h.database.read { sql in
                try await APIKeyRepository(sql).findActive(secretHash: SecretToken.hash(h.organizerKey))?.id.rawValue
            }
            #expect((requested["actor"] as? [String: Any])?["id"] as? String == keyID)
            #expect(requested["request_id"] as? String == "req-refund-42")
            #expect((requested["subject_id"] as? String)?.hasPrefix("rfd_") == true && requested["order_id"] as? String == order)
            #expect((requested["changes"] as? [String: Any])?["amount"] as? [String: Int] == ["to": 1_500])
            #expect((refunded["changes"] as? [String: Any])?["refunded"] as? [String: Int] == ["from": 0, "to": 1_500])

            // Who refunded this order, and when: a filter away.
            let who = try await h.client.get("/api/v1/audit-log?action=order.refund_requested&subject_id=\(requested["subject_id"] as? String ?? "")",
                                             key: h.organizerKey)
            #expect(Self.entries(who).count == 1)
        }
    }

    @Test(arguments: TestEngines.all)
    func anOrganizerSeesOnlyItsOwnEntriesAndAdminsSeeAll(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let order = try #require(try await h.placeOrder().orderID)
            h.clock.advance(minutes: 20)
            try await AuditScope.acting(as: .worker("expiry")) { try await h.platform.expiry.run() }
            let me = try await h.organizerID().rawValue
            let other = try await h.client.createOrganizer(admin: h.adminKey, slug: "other")
            _ = try await h.client.createEvent(other.key)

            let mine = Self.entries(try await h.client.get("/api/v1/audit-log?limit=200", key: h.organizerKey))
            #expect(!mine.isEmpty && mine.allSatisfy { $0["organizer_id"] as? String == me })
            let theirs = Self.entries(try await h.client.get("/api/v1/audit-log", key: other.key))
            #expect(theirs.map { $0["action"] as? String } == ["event.created", "api_key.created", "organizer.created"], "newest first")
            #expect(theirs.allSatisfy { $0["organizer_id"] as? String == other.id })
            #expect(Self.actor(theirs[1]) == "admin" && Self.actor(theirs[0]) == "api_key")

            let expired = Self.entries(try await h.client.get("/api/v1/audit-log?action=order.expired", key: h.organizerKey))
            #expect(expired.count == 1 && expired.first?["subject_id"] as? String == order && expired.first.map(Self.actor) == "worker")
            #expect(Self.entries(try await h.client.get("/api/v1/audit-log?actor_kind=buyer", key: h.organizerKey))
                .map { $0["action"] as? String } == ["order.placed"])
            #expect(try await h.client.get("/api/v1/orders/\(order)/history", key: other.key).status == .notFound)
            #expect(try await h.client.get("/api/v1/admin/audit-log", key: h.organizerKey).status == .forbidden)

            let all = Self.entries(try await h.client.get("/api/v1/admin/audit-log?limit=200", key: h.adminKey))
            #expect(Set(all.compactMap { $0["organizer_id"] as? String }) == [me, other.id])
            let narrowed = Self.entries(try await h.client.get("/api/v1/admin/audit-log?organizer_id=\(other.id)", key: h.adminKey))
            #expect(narrowed.count == 3)
            // Paging: two at a time, the same entries in the same order.
            var paged: [String] = [], cursor = ""
            repeat {
                let page = try await h.client.get("/api/v1/audit-log?limit=2\(cursor)", key: other.key)
                paged += Self.entries(page).compactMap { $0["id"] as? String }
                cursor = (page.string("next_cursor")).map { "&after=\($0)" } ?? ""
            } while !cursor.isEmpty
            #expect(paged == theirs.compactMap { $0["id"] as? String })

            for bad in ["actor_kind=robot", "from=yesterday", "order_id=evt_1", "limit=0", "order_id=", "event_id=", "actor_kind="] {
                let reply = try await h.client.get("/api/v1/audit-log?\(bad)", key: h.organizerKey)
                #expect(reply.status == .unprocessableContent, "\(bad)")
            }
        }
    }

    @Test(arguments: TestEngines.all)
    func theLogCannotBeRewritten(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            _ = try await h.placeOrder()
            let count = try await rowCounts(h.database, tables: ["audit_log"])["audit_log"] ?? 0
            #expect(count > 0)
            for statement in ["UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log"] {
                await #expect(throws: (any Error).self, "\(statement)") {
                    try await h.database.transaction { sql in try await sql.raw(SQLQueryString(statement)).run() }
                }
            }
            #expect(try await rowCounts(h.database, tables: ["audit_log"], where: "action = 'nothing'") == ["audit_log": 0])
            #expect(try await rowCounts(h.database, tables: ["audit_log"])["audit_log"] == count)
        }
    }

    /// Field diffs name what changed, with the API's names, and leave out what did not.
    @Test(arguments: TestEngines.all)
    func anUpdateRecordsOnlyTheFieldsItChanged(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let patch = try await h.client.patch("/api/v1/events/\(h.eventID)", key: h.organizerKey, json: #"{"title":"New Title","venue":"Hall"}"#)
            #expect(patch.status == .ok)
            let history = Self.entries(try await h.client.get("/api/v1/events/\(h.eventID)/history", key: h.organizerKey))
            #expect(history.map { $0["action"] as? String } == ["event.created", "variant.created", "event.updated"])
            let changes = try #require(history.last?["changes"] as? [String: Any])
            #expect(Set(changes.keys) == ["title", "venue"])
            #expect(changes["title"] as? [String: String] == ["from": "Harness Night", "to": "New Title"])
            #expect(changes["venue"] as? [String: String] == ["to": "Hall"])
        }
    }
}
