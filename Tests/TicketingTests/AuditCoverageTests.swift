import Foundation
import HTTPTypes
import Hummingbird
import Platform
import PlatformTesting
import SQLKit
import Testing
@testable import Ticketing

/// Every route of the composed platform that changes state leaves an audit entry: the list of
/// routes comes from the router, so a new route without an entry here fails this test.
@Suite struct AuditCoverageTests {
    /// One state-changing route: how to call it (after the ones before it) and the action it records.
    struct Step: Sendable {
        let route: String
        let action: String
        let call: @Sendable (inout Context) async throws -> APITestClient.Reply
    }

    struct Text: Decodable { let value: String }

    /// What the steps hand on to each other.
    struct Context: Sendable {
        let h: TicketingHarness
        var values: [String: String] = [:]
        subscript(key: String) -> String { values[key] ?? "missing-\(key)" }
    }

    static let steps: [Step] = [
        Step(route: "POST /api/v1/organizers", action: "organizer.created") { c in
            let reply = try await c.h.client.post("/api/v1/organizers", key: c.h.base.adminKey,
                                                  json: #"{"name":"Second","slug":"second","email":"team@second.example"}"#)
            c.values["org2"] = (reply.json["organizer"] as? [String: Any])?["id"] as? String
            return reply
        },
        Step(route: "POST /api/v1/organizers/{id}/api-keys", action: "api_key.created") { c in
            try await c.h.client.post("/api/v1/organizers/\(c["org2"])/api-keys", key: c.h.base.adminKey, json: #"{"label":"ci"}"#)
        },
        Step(route: "PATCH /api/v1/organizers/{id}", action: "organizer.updated") { c in
            c.values["org"] = try await c.h.base.organizerID().rawValue
            return try await c.h.client.patch("/api/v1/organizers/\(c["org"])", key: c.h.organizerKey, json: #"{"sender_name":"The Hall"}"#)
        },
        Step(route: "POST /api/v1/events", action: "event.created") { c in
            let reply = try await c.h.client.post("/api/v1/events", key: c.h.organizerKey, json: """
                {"title":"Audit Night","starts_at":"2026-07-01T19:00:00Z","timezone":"Europe/Berlin","currency":"EUR"}
                """)
            c.values["event"] = reply.string("id")
            return reply
        },
        Step(route: "PATCH /api/v1/events/{id}", action: "event.updated") { c in
            try await c.h.client.patch("/api/v1/events/\(c["event"])", key: c.h.organizerKey, json: #"{"title":"Audit Night II"}"#)
        },
        Step(route: "POST /api/v1/events/{id}/variants", action: "variant.created") { c in
            let reply = try await c.h.client.post("/api/v1/events/\(c["event"])/variants", key: c.h.organizerKey,
                                                  json: #"{"name":"GA","price":1000,"quota":5}"#)
            c.values["variant"] = reply.string("id")
            return reply
        },
        Step(route: "PATCH /api/v1/variants/{id}", action: "variant.updated") { c in
            try await c.h.client.patch("/api/v1/variants/\(c["variant"])", key: c.h.organizerKey, json: #"{"quota":6}"#)
        },
        Step(route: "POST /api/v1/public/events/{id}/orders", action: "order.placed") { c in
            let reply = try await c.h.base.placeOrder(body: c.h.base.cart(quantity: 3))
            c.values["order"] = reply.orderID
            return reply
        },
        Step(route: "POST /webhooks/{provider}", action: "order.paid") { c in
            let reply = try await c.h.base.deliver(id: "evt-audit", type: "paid", order: c["order"], amount: 7_500, reference: "pay-audit")
            await c.h.base.drain()
            return reply
        },
        Step(route: "POST /api/v1/admin/credit-packs", action: "credit_pack.created") { c in
            let reply = try await c.h.client.post("/api/v1/admin/credit-packs", key: c.h.base.adminKey,
                                                  json: #"{"name":"Ten","price":1000,"currency":"EUR","credit":1000}"#)
            c.values["pack"] = reply.string("id")
            return reply
        },
        Step(route: "POST /api/v1/public/credit-packs/{id}/orders", action: "order.placed") { c in
            try await c.h.client.send(.post, "/api/v1/public/credit-packs/\(c["pack"])/orders", json: #"{"email":"buyer@example.com","provider":"test"}"#,
                                      headers: [HTTPField.Name("Idempotency-Key")!: "pack-audit"])
        },
        Step(route: "PATCH /api/v1/admin/credit-packs/{id}", action: "credit_pack.updated") { c in
            try await c.h.client.patch("/api/v1/admin/credit-packs/\(c["pack"])", key: c.h.base.adminKey, json: #"{"active":false}"#)
        },
        Step(route: "POST /api/v1/events/{id}/checkin-devices", action: "device.created") { c in
            let reply = try await c.h.client.post("/api/v1/events/\(c.h.base.eventID)/checkin-devices", key: c.h.organizerKey, json: #"{"name":"Gate"}"#)
            c.values["device"] = reply.string("id")
            c.values["device_key"] = reply.string("key")
            return reply
        },
        Step(route: "POST /api/v1/checkin/scan", action: "ticket.admitted") { c in
            let tickets = try await c.h.client.get("/api/v1/orders/\(c["order"])/tickets", key: c.h.organizerKey).json["data"] as? [[String: Any]] ?? []
            for (index, ticket) in tickets.enumerated() {
                c.values["ticket\(index)"] = ticket["id"] as? String
                c.values["token\(index)"] = ticket["token"] as? String
            }
            return try await c.h.scan(c["token0"], key: c["device_key"])
        },
        Step(route: "POST /api/v1/checkin/block", action: "ticket.blocked") { c in
            try await c.h.client.post("/api/v1/checkin/block", key: c.h.organizerKey, json: #"{"ticket_id":"\#(c["ticket1"])","reason":"lost"}"#)
        },
        Step(route: "POST /api/v1/checkin/unblock", action: "ticket.unblocked") { c in
            try await c.h.client.post("/api/v1/checkin/unblock", key: c.h.organizerKey, json: #"{"ticket_id":"\#(c["ticket1"])","reason":"found"}"#)
        },
        Step(route: "POST /api/v1/events/{id}/checkin/sync", action: "ticket.admitted") { c in
            try await c.h.client.post("/api/v1/events/\(c.h.base.eventID)/checkin/sync", key: c["device_key"], json: """
                {"scans":[{"nonce":"audit-1","token":"\(c["token2"])","scanned_at":"\(c.h.clock.now().rfc3339)"}]}
                """)
        },
        Step(route: "DELETE /api/v1/events/{id}/checkin-devices/{device}", action: "device.revoked") { c in
            try await c.h.client.send(.delete, "/api/v1/events/\(c.h.base.eventID)/checkin-devices/\(c["device"])", key: c.h.organizerKey)
        },
        Step(route: "POST /api/v1/public/my-tickets/links", action: "buyer.sign_in_link_sent") { c in
            let reply = try await c.h.client.post("/api/v1/public/my-tickets/links", key: nil, json: #"{"email":"buyer@example.com"}"#)
            let payload = try await c.h.database.read { sql in
                try await sql.raw("SELECT payload AS value FROM outbox_messages WHERE kind = 'magic_link'").first(decoding: Text.self)?.value
            } ?? ""
            if let start = payload.range(of: "mtl_") { c.values["link"] = String(payload[start.lowerBound...].prefix(44)) }
            return reply
        },
        Step(route: "POST /api/v1/public/my-tickets/sessions", action: "buyer.signed_in") { c in
            let reply = try await c.h.client.post("/api/v1/public/my-tickets/sessions", key: nil, json: #"{"token":"\#(c["link"])"}"#)
            c.values["session"] = reply.string("token")
            return reply
        },
        Step(route: "DELETE /api/v1/public/my-tickets/session", action: "buyer.signed_out") { c in
            try await c.h.client.send(.delete, "/api/v1/public/my-tickets/session", key: c["session"])
        },
        Step(route: "POST /api/v1/webhook-endpoints", action: "webhook_endpoint.created") { c in
            let reply = try await c.h.client.post("/api/v1/webhook-endpoints", key: c.h.organizerKey,
                                                  json: #"{"url":"http://127.0.0.1:9/hooks","events":["order.refunded"]}"#)
            c.values["endpoint"] = reply.string("id")
            return reply
        },
        Step(route: "PATCH /api/v1/webhook-endpoints/{id}", action: "webhook_endpoint.updated") { c in
            try await c.h.client.patch("/api/v1/webhook-endpoints/\(c["endpoint"])", key: c.h.organizerKey, json: #"{"description":"ERP"}"#)
        },
        Step(route: "POST /api/v1/webhook-endpoints/{id}/secret", action: "webhook_endpoint.secret_rotated") { c in
            try await c.h.client.post("/api/v1/webhook-endpoints/\(c["endpoint"])/secret", key: c.h.organizerKey, json: "")
        },
        Step(route: "POST /api/v1/orders/{id}/refunds", action: "order.refund_requested") { c in
            try await c.h.client.post("/api/v1/orders/\(c["order"])/refunds", key: c.h.organizerKey, json: #"{"amount":1000}"#)
        },
        Step(route: "POST /api/v1/admin/orders/{id}/refunds", action: "order.refund_requested") { c in
            let reply = try await c.h.client.post("/api/v1/admin/orders/\(c["order"])/refunds", key: c.h.base.adminKey, json: #"{"amount":1000}"#)
            // The provider confirms both: an order.refunded event for the endpoint.
            _ = try await c.h.base.deliver(id: "evt-audit-refund", type: "refunded", order: c["order"], amount: 2_000)
            await c.h.base.drain()
            return reply
        },
        Step(route: "POST /api/v1/webhook-deliveries/{id}/resend", action: "webhook_delivery.resent") { c in
            let list = try await c.h.client.get("/api/v1/webhook-deliveries", key: c.h.organizerKey).json["data"] as? [[String: Any]] ?? []
            return try await c.h.client.post("/api/v1/webhook-deliveries/\(list.first?["id"] as? String ?? "none")/resend", key: c.h.organizerKey, json: "")
        },
        Step(route: "DELETE /api/v1/webhook-endpoints/{id}", action: "webhook_endpoint.deleted") { c in
            try await c.h.client.send(.delete, "/api/v1/webhook-endpoints/\(c["endpoint"])", key: c.h.organizerKey)
        },
        Step(route: "POST /api/v1/admin/webhooks/{id}/replay", action: "webhook.replayed") { c in
            // An event for an order of another provider cannot apply: dead at once.
            _ = try await c.h.base.deliver(id: "evt-dead", type: "paid", order: "ord_00000000000000000000000000", amount: 1)
            await c.h.base.drain()
            let id = try await c.h.database.read { sql in
                try await sql.raw("SELECT id AS value FROM webhook_inbox WHERE status = 'dead'").first(decoding: Text.self)?.value
            } ?? "none"
            return try await c.h.client.post("/api/v1/admin/webhooks/\(id)/replay", key: c.h.base.adminKey, json: "")
        },
        Step(route: "POST /api/v1/admin/outbox/{id}/replay", action: "message.replayed") { c in
            let id = try await c.h.database.transaction { sql in
                let id = try await sql.raw("SELECT id AS value FROM outbox_messages WHERE kind = 'order_confirmation'").first(decoding: Text.self)?.value
                try await sql.raw("UPDATE outbox_messages SET status = 'dead' WHERE id = \(bind: id ?? "")").run()
                return id
            } ?? "none"
            return try await c.h.client.post("/api/v1/admin/outbox/\(id)/replay", key: c.h.base.adminKey, json: "")
        },
        Step(route: "PATCH /api/v1/organizers/{id}", action: "organizer.payout_method_changed") { c in
            _ = try await c.h.client.patch("/api/v1/organizers/\(c["org"])", key: c.h.organizerKey, json: #"{"payout":{"provider":"test","account":"test_acct_1"}}"#)
            return try await c.h.client.patch("/api/v1/organizers/\(c["org"])", key: c.h.base.adminKey, json: #"{"payout":{"provider":"test","account":"test_acct_2"}}"#)
        },
        Step(route: "POST /api/v1/admin/organizers/{id}/payout-method/approval", action: "organizer.payout_method_approved") { c in
            try await c.h.client.post("/api/v1/admin/organizers/\(c["org"])/payout-method/approval", key: c.h.base.adminKey, json: "")
        },
        Step(route: "POST /api/v1/admin/payouts", action: "payout.created") { c in
            c.h.clock.advance(minutes: 400 * 24 * 60)
            try await c.h.base.platform.holdRelease.run()
            let reply = try await c.h.client.post("/api/v1/admin/payouts", key: c.h.base.adminKey, json: "{}")
            c.values["payout"] = ((reply.json["payouts"] as? [[String: Any]])?.first)?["payout_id"] as? String
            return reply
        },
        Step(route: "POST /api/v1/admin/payouts/{id}/resolution", action: "payout.settled") { c in
            try await c.h.client.post("/api/v1/admin/payouts/\(c["payout"])/resolution", key: c.h.base.adminKey,
                                      json: #"{"outcome":"settled","reason":"seen at the bank"}"#)
        },
    ]

    @Test(arguments: TestEngines.all)
    func everyRouteThatChangesStateLeavesAnAuditEntry(engine: DatabaseEngine) async throws {
        var config = TicketingHarness.testConfig()
        config.baseURL = "https://tickets.example"
        try await TicketingHarness.run(engine, config: config) { h in
            let catalog = RouteCatalog()
            _ = buildRouter(h.base.platform, catalog: catalog)
            let changing = Set(catalog.routes.filter { !$0.hasPrefix("GET ") })
            #expect(changing == Set(Self.steps.map(\.route)),
                    "routes without an audit step: \(changing.subtracting(Self.steps.map(\.route))); stale: \(Set(Self.steps.map(\.route)).subtracting(changing))")
            var context = Context(h: h)
            for step in Self.steps {
                let before = try await h.count("audit_log", where: "action = '\(step.action)'")
                let reply = try await step.call(&context)
                #expect(reply.status.code < 300, "\(step.route): \(reply.text)")
                let after = try await h.count("audit_log", where: "action = '\(step.action)'")
                #expect(after > before, "\(step.route) wrote no \(step.action) entry")
            }
            // Nobody's secret is in the log: API keys, device keys, buyer sessions and links, webhook secrets.
            let log = try await h.database.read { sql in
                try await sql.raw("SELECT changes || ' ' || subject_id || ' ' || COALESCE(actor_id, '') AS value FROM audit_log")
                    .all(decoding: Text.self)
            }.map(\.value).joined(separator: "\n")
            for marker in ["mts_", "mtl_", "whsec_", "ord_tok_"] {
                #expect(!log.contains(marker), "a \(marker) secret in the audit log")
            }
            #expect(!log.contains(context["device_key"]) && !log.contains(h.organizerKey))
        }
    }
}

/// Entering again after an exit is audited as a re-entry; integrators hear of the first entry only.
@Suite struct ReentryAuditTests {
    @Test(arguments: TestEngines.all)
    func aReentryIsAuditedButPublishesNoSecondAdmission(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let endpoint = try await h.client.post("/api/v1/webhook-endpoints", key: h.organizerKey,
                                                   json: #"{"url":"http://127.0.0.1:9/door","events":["ticket.admitted"]}"#)
            #expect(endpoint.status == .created)
            let order = try await h.paidOrder()
            let token = try #require(order.tokens.first)
            #expect(try await h.scan(token).string("result") == "admitted")
            #expect(try await h.scan(token, direction: "exit").string("result") == "exited")
            #expect(try await h.scan(token).string("result") == "admitted")
            #expect(try await h.count("audit_log", where: "action = 'ticket.admitted'") == 1)
            #expect(try await h.count("audit_log", where: "action = 'ticket.exited'") == 1)
            #expect(try await h.count("audit_log", where: "action = 'ticket.reentered'") == 1)
            #expect(try await h.count("webhook_deliveries", where: "type = 'ticket.admitted'") == 1)
        }
    }
}
