import Foundation
import HTTPTypes
import Hummingbird
import Platform
import PlatformTesting
import SQLKit
import Testing

@Suite struct CheckoutTests {
    @Test(arguments: TestEngines.all)
    func orderHoldsSeatsUntilPaid(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let placed = try await h.placeOrder(body: h.cart(quantity: 3))
            #expect(placed.status == .created, "\(placed.text)")
            let order = try #require(placed.json["order"] as? [String: Any])
            let id = try #require(order["id"] as? String)
            #expect(order["status"] as? String == "pending")
            #expect(order["total"] as? Int == 7_500)
            #expect(placed.string("checkout_url") == "https://pay.test.example/\(id)")
            let token = try #require(placed.string("access_token"))
            #expect(try await h.variantCounts() == (0, 3))
            #expect(h.provider.checkouts.first?.total == Money(minorUnits: 7_500, currency: .eur))
            #expect(h.provider.checkouts.first?.idempotencyKey == "checkout-\(id)")

            let buyerView = try await h.client.get("/api/v1/public/orders/\(id)?token=\(token)")
            #expect(buyerView.string("status") == "pending")
            #expect(try await h.client.get("/api/v1/public/orders/\(id)?token=wrong").status == .notFound)

            #expect(try await h.deliver(id: "evt_1", type: "paid", order: id, amount: 7_500).status == .ok)
            #expect(await h.drain() == 1)
            #expect(try await h.order(id).string("status") == "paid")
            #expect(try await h.variantCounts() == (3, 0))
            let publicEvent = try await h.client.get("/api/v1/public/events/\(h.eventID)")
            #expect((publicEvent.json["variants"] as? [[String: Any]])?.first?["available"] as? Int == 97)
        }
    }

    @Test(arguments: TestEngines.all)
    func invalidCartsAreRefusedAndHoldNothing(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine, maxPerOrder: 4) { h in
            let cases: [(String, HTTPResponse.Status, [String])] = [
                (#"{"lines":[],"email":"a@b.example","provider":"test"}"#, .unprocessableContent, ["lines"]),
                (#"{"email":"a@b.example","provider":"test"}"#, .unprocessableContent, ["lines"]),
                (h.cart(quantity: 5), .unprocessableContent, ["lines[0].quantity"]),
                (h.cart(quantity: 0), .unprocessableContent, ["lines[0].quantity"]),
                (h.cart(email: "not-an-email"), .unprocessableContent, ["email"]),
                (h.cart(provider: "nope"), .unprocessableContent, ["provider"]),
                (#"{"lines":[{"variant_id":"var_00000000000000000000000000","quantity":1}],"email":"a@b.example","provider":"test"}"#,
                 .unprocessableContent, ["lines[0].variant_id"]),
                (#"{"lines":[{"variant_id":"x","quantity":"two"}],"email":"a@b.example","provider":"test"}"#,
                 .unprocessableContent, ["lines[0].variant_id", "lines[0].quantity"]),
                (h.cart(extra: #","success_url":"https://evil.example/thanks""#), .badRequest, ["success_url"]),
                (h.cart(extra: #","cancel_url":"javascript:alert(1)""#), .badRequest, ["cancel_url"]),
                ("{not json", .badRequest, []),
            ]
            for (body, status, fields) in cases {
                let reply = try await h.placeOrder(body: body)
                #expect(reply.status == status, "\(body): \(reply.text)")
                #expect(reply.errorFields == fields, "\(body): \(reply.text)")
            }
            #expect(try await h.placeOrder(body: h.cart(extra: #","success_url":"https://shop.example.com/thanks""#)).status == .created)
            #expect(try await h.variantCounts() == (0, 1), "only the valid order holds a seat")
            let noKey = try await h.client.post("/api/v1/public/events/\(h.eventID)/orders", key: nil, json: h.cart())
            #expect(noKey.status == .badRequest)
            #expect(noKey.string("type") == "urn:platform:problem:idempotency-key-required")
        }
    }

    @Test(arguments: TestEngines.all)
    func eventsAndVariantsNotOnSaleAreRefused(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            _ = try await h.client.patch("/api/v1/variants/\(h.variantID)", key: h.organizerKey,
                                         json: #"{"sales_start":"2030-01-01T00:00:00Z"}"#)
            let early = try await h.placeOrder()
            #expect(early.status == .unprocessableContent)
            #expect(early.errorFields == ["lines[0].variant_id"])
            _ = try await h.client.patch("/api/v1/variants/\(h.variantID)", key: h.organizerKey, json: #"{"sales_start":null}"#)
            #expect(try await h.placeOrder().status == .created)
            _ = try await h.client.patch("/api/v1/events/\(h.eventID)", key: h.organizerKey, json: #"{"status":"draft"}"#)
            #expect(try await h.placeOrder().status == .notFound)
        }
    }

    @Test(arguments: TestEngines.all)
    func soldOutIsAClearConflict(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine, quota: 3) { h in
            #expect(try await h.placeOrder(body: h.cart(quantity: 2)).status == .created)
            let tooMany = try await h.placeOrder(body: h.cart(quantity: 2))
            #expect(tooMany.status == .conflict)
            #expect(tooMany.string("detail") == "not enough GA tickets left for 2")
            #expect(try await h.variantCounts() == (0, 2))
            #expect(try await rowCounts(h.database, tables: ["orders", "order_lines"]) == ["orders": 1, "order_lines": 1],
                    "the refused order left nothing (its statement is tested alone below)")
            struct Count: Decodable { let n: Int64 }
            let strayAudit = try await h.database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM audit_log WHERE order_id IS NOT NULL AND order_id NOT IN (SELECT id FROM orders)")
                    .first(decoding: Count.self)?.n
            }
            #expect(strayAudit == 0, "nor an audit entry of it")
            // Ten buyers at once for the last seat: one gets it, the others are told it is gone.
            let replies = try await withThrowingTaskGroup(of: APITestClient.Reply.self) { group in
                for _ in 0..<10 { group.addTask { try await h.placeOrder(body: h.cart(quantity: 1)) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.filter { $0.status == .created }.count == 1)
            #expect(replies.filter { $0.status == .conflict }.count == 9)
            #expect(try await h.variantCounts() == (0, 3))
            #expect(try await rowCounts(h.database, tables: ["orders", "order_lines"]) == ["orders": 2, "order_lines": 2])
        }
    }

    /// On PostgreSQL a one-line order is written in the statement that takes its seats: with too few
    /// seats left it writes nothing, otherwise the order, its line and the held seats together.
    @Test func oneStatementWritesAnOrderOnlyWithItsSeats() async throws {
        guard TestEngines.all.contains(.postgres) else { return }
        try await CheckoutHarness.run(.postgres, quota: 5) { h in
            let placed = try #require(try await h.placeOrder(body: h.cart(quantity: 2)).orderID)
            let template = try #require(try await h.database.read { sql in try await OrderRepository(sql).find(try StoredValue.id(placed)) })
            @Sendable func order(quantity: Int64) -> Order {
                let line = template.lines[0]
                return Order(
                    id: .generate(at: h.clock.now()), organizerID: template.organizerID, eventID: template.eventID, status: .pending,
                    seats: .held, email: template.email, buyerName: nil, total: template.total, refunded: 0, provider: template.provider,
                    providerSession: nil, providerPayment: nil, checkoutURL: nil, reviewReason: nil, disputeReason: nil,
                    expiresAt: template.expiresAt, paidAt: nil, createdAt: template.createdAt, updatedAt: template.updatedAt,
                    lines: [OrderLine(variantID: line.variantID, quantity: quantity, unitPrice: line.unitPrice)])
            }
            struct Counts: Decodable, Equatable { let orders: Int64, lines: Int64, reserved: Int64 }
            @Sendable func counts(_ sql: any SQLDatabase) async throws -> Counts? {
                try await sql.raw("""
                    SELECT (SELECT COUNT(*) FROM orders) AS orders, (SELECT COUNT(*) FROM order_lines) AS lines,
                           (SELECT reserved FROM ticket_variants WHERE id = \(bind: h.variantID)) AS reserved
                    """).first(decoding: Counts.self)
            }
            try await h.database.transaction { sql in
                let (tooMany, fits) = (order(quantity: 4), order(quantity: 3))
                let refused = try await OrderRepository(sql).insertTakingSeats(tooMany, accessTokenHash: "hash-1")
                let afterRefusal = try await counts(sql)
                let placed = try await OrderRepository(sql).insertTakingSeats(fits, accessTokenHash: "hash-2")
                let afterPlacing = try await counts(sql)
                let stored = try await OrderRepository(sql).find(fits.id)
                #expect(refused == false)
                #expect(afterRefusal == Counts(orders: 1, lines: 1, reserved: 2), "nothing written, seats untouched")
                #expect(placed)
                #expect(afterPlacing == Counts(orders: 2, lines: 2, reserved: 5))
                #expect(stored?.lines == fits.lines)
            }
        }
    }

    @Test(arguments: TestEngines.all)
    func idempotencyKeyReplaysConflictsAndNeverReservesTwice(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let first = try await h.placeOrder(key: "key-1", body: h.cart(quantity: 2))
            let again = try await h.placeOrder(key: "key-1", body: h.cart(quantity: 2))
            #expect(first.status == .created && again.status == .created)
            #expect(again.body == first.body, "the same answer, byte for byte")
            #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(try await h.variantCounts() == (0, 2))

            let other = try await h.placeOrder(key: "key-1", body: h.cart(quantity: 3))
            #expect(other.status == .unprocessableContent)
            #expect(other.string("type") == "urn:platform:problem:idempotency-mismatch")

            // Ten concurrent requests with one key: one order, the rest replay it or are told it is in flight.
            let replies = try await withThrowingTaskGroup(of: APITestClient.Reply.self) { group in
                for _ in 0..<10 { group.addTask { try await h.placeOrder(key: "key-2", body: h.cart(quantity: 1)) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.status == .created || $0.status == .conflict })
            let orderIDs = Set(replies.filter { $0.status == .created }.compactMap { ($0.json["order"] as? [String: Any])?["id"] as? String })
            #expect(orderIDs.count == 1)
            #expect(try await h.variantCounts() == (0, 3))
            #expect(h.provider.checkouts.count == 2)

            // After 24 hours the answers are purged and a key may be used afresh.
            h.clock.advance(minutes: 24 * 60 + 1)
            try await h.platform.housekeeping.run()
            #expect(try await rowCounts(h.database, tables: ["idempotency_keys"]) == ["idempotency_keys": 0])
            #expect(try await h.placeOrder(key: "key-1", body: h.cart(quantity: 3)).status == .created)
        }
    }

    /// A key past the 24 hours is used afresh even before housekeeping purged it: the claim takes
    /// its row over in one statement, and a key inside the window still replays.
    @Test(arguments: TestEngines.all)
    func aKeyPastItsWindowIsTakenOverBeforeThePurge(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let first = try await h.placeOrder(key: "key-old", body: h.cart(quantity: 1))
            h.clock.advance(minutes: 24 * 60 - 1)
            #expect(try await h.placeOrder(key: "key-old", body: h.cart(quantity: 2)).status == .unprocessableContent, "still a mismatch")
            h.clock.advance(minutes: 2)
            let fresh = try await h.placeOrder(key: "key-old", body: h.cart(quantity: 2))
            #expect(fresh.status == .created && fresh.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            #expect(fresh.json["order"] as? [String: Any] != nil && fresh.body != first.body)
            #expect(try await h.variantCounts() == (0, 3))
            #expect(try await rowCounts(h.database, tables: ["idempotency_keys"]) == ["idempotency_keys": 1])
            #expect(try await h.placeOrder(key: "key-old", body: h.cart(quantity: 2)).body == fresh.body, "the new answer replays")
        }
    }

    /// A server killed between claiming a key and answering leaves the claim behind; the crash
    /// campaign's buyers were told "in flight" for as long as they retried.
    @Test(arguments: TestEngines.all)
    func aClaimAServerDiedHoldingIsTakenOverAfterAMinute(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let first = try await h.placeOrder(key: "key-k", body: h.cart(quantity: 1))
            try await h.database.transaction { sql in
                try await sql.raw("""
                    UPDATE idempotency_keys SET state = 'in_flight', response_status = NULL, response_body = NULL WHERE idempotency_key = 'key-k'
                    """).run()
            }
            h.clock.advance(seconds: 59)
            let early = try await h.placeOrder(key: "key-k", body: h.cart(quantity: 1))
            #expect(early.status == .conflict && early.string("type") == "urn:platform:problem:idempotency-in-flight")
            #expect(try await h.placeOrder(key: "key-k", body: h.cart(quantity: 2)).status == .unprocessableContent, "another body is still refused")

            h.clock.advance(seconds: 2)
            let retried = try await h.placeOrder(key: "key-k", body: h.cart(quantity: 1))
            #expect(retried.status == .created)
            let (firstID, retriedID) = ((first.json["order"] as? [String: Any])?["id"] as? String, (retried.json["order"] as? [String: Any])?["id"] as? String)
            #expect(retriedID != nil && retriedID != firstID, "the work is done afresh; the abandoned order ends with its reservation")
            let replayed = try await h.placeOrder(key: "key-k", body: h.cart(quantity: 1))
            #expect(replayed.body == retried.body && replayed.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(try await h.variantCounts() == (0, 2))
        }
    }

    @Test(arguments: TestEngines.all)
    func providerDownOrSlowReleasesTheSeats(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            h.provider.fail(with: .unavailable("connection refused"))
            let down = try await h.placeOrder(key: "retry-me", body: h.cart(quantity: 2))
            #expect(down.status == .serviceUnavailable)
            #expect(down.string("detail") == "connection refused")
            #expect(try await h.variantCounts() == (0, 0))

            h.provider.fail(with: .providerError("timed out after 10 s"))
            h.provider.stall(for: .milliseconds(200))
            let slow = try await h.placeOrder(body: h.cart(quantity: 2))
            #expect(slow.status == .badGateway)
            #expect(try await h.variantCounts() == (0, 0))

            h.provider.stall(for: nil)
            h.provider.fail(with: .rateLimited("slow down"))
            #expect(try await h.placeOrder(key: "retry-me", body: h.cart(quantity: 2)).status == .tooManyRequests)
            h.provider.fail(with: .declined("card declined"))
            let declined = try await h.placeOrder(key: "declined-once", body: h.cart(quantity: 2))
            #expect(declined.status.code == 402)
            h.provider.fail(with: nil)
            let replayed = try await h.placeOrder(key: "declined-once", body: h.cart(quantity: 2))
            #expect(replayed.status.code == 402 && replayed.body == declined.body, "a decline is the key's answer")
            let retried = try await h.placeOrder(key: "retry-me", body: h.cart(quantity: 2))
            #expect(retried.status == .created, "neither a 5xx nor a 429 uses up the key")
            let orders = try await h.client.get("/api/v1/events/\(h.eventID)/orders", key: h.organizerKey)
            let statuses = (orders.json["data"] as? [[String: Any]])?.compactMap { $0["status"] as? String }
            #expect(statuses == ["failed", "failed", "failed", "failed", "pending"])
        }
    }

    @Test(arguments: TestEngines.all)
    func reservationLengthensToTheProviderMinimum(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine, provider: TestPaymentProvider(minimumCheckoutMinutes: 30)) { h in
            let placed = try await h.placeOrder()
            let expires = try #require((placed.json["order"] as? [String: Any])?["expires_at"] as? String)
            #expect(Timestamp(rfc3339: expires) == h.clock.now().adding(minutes: 30))
            #expect(h.provider.checkouts.first?.expiresAt == h.clock.now().adding(minutes: 30))
        }
    }

    @Test func ordersAreRateLimitedPerClient() async throws {
        var config = PlatformConfig()
        config.checkoutRateLimit = 3
        try await CheckoutHarness.run(.sqlite, config: config) { h in
            for _ in 0..<3 { #expect(try await h.placeOrder().status == .created) }
            let limited = try await h.placeOrder()
            #expect(limited.status == .tooManyRequests)
            let wait = try #require(limited.headers[.retryAfter].flatMap(Int.init))
            #expect((1...60).contains(wait))
            h.clock.advance(minutes: 1)
            #expect(try await h.placeOrder().status == .created)
        }
    }
}
