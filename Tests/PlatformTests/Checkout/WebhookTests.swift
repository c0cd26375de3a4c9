import Foundation
import HTTPTypes
import Hummingbird
import Platform
import PlatformTesting
import Testing

@Suite struct WebhookTests {
    @Test(arguments: TestEngines.all)
    func aBatchFromAPluginIsStoredWholeOrNotAtAll(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try #require(try await h.placeOrder().orderID)
            let host = try #require(h.provider.host)
            let paid = h.provider.delivery(id: "b1", type: "paid", order: id, amount: 2_500, at: h.clock.now())
            let forged = h.provider.delivery(id: "b2", type: "paid", order: id, amount: 2_500, at: h.clock.now(), secret: "whsec_not_ours")
            await #expect(throws: WebhookRejected.self) {
                try await host.deliverWebhooks(provider: "test", [WebhookDelivery(body: paid.body, headers: paid.headers),
                                                                  WebhookDelivery(body: forged.body, headers: forged.headers)])
            }
            #expect(try await h.inboxCount() == 0, "one forged delivery keeps the whole batch out")

            let again = WebhookDelivery(body: paid.body, headers: paid.headers)
            try await host.deliverWebhooks(provider: "test", [again, again])
            #expect(try await h.inboxCount() == 1, "a repeat within the batch is stored once")
            #expect(await h.drain() == 1)
            #expect(try await h.order(id).string("status") == "paid")
        }
    }

    @Test(arguments: TestEngines.all)
    func forgedTamperedStaleAndWrongSecretAreRejectedAndNotStored(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try #require(try await h.placeOrder().orderID)
            let wrongSecret = try await h.deliver(id: "e1", type: "paid", order: id, amount: 2_500, secret: "whsec_not_ours")
            #expect(wrongSecret.status == .badRequest)
            #expect(wrongSecret.string("type") == "urn:platform:problem:webhook-rejected")
            let stale = try await h.deliver(id: "e2", type: "paid", order: id, amount: 2_500, at: h.clock.now().adding(seconds: -301))
            #expect(stale.status == .badRequest)
            #expect(try await h.deliver(id: "e3", type: "paid", order: id, amount: 2_500, at: h.clock.now().adding(seconds: -299)).status == .ok)

            let genuine = h.provider.delivery(id: "e4", type: "paid", order: id, amount: 2_500, at: h.clock.now())
            var tampered = genuine.body
            tampered.setString(String(decoding: Data(buffer: genuine.body), as: UTF8.self).replacingOccurrences(of: "2500", with: "9999"), at: 0)
            let forged = try await h.client.client.execute(uri: "/webhooks/test", method: .post, headers: genuine.headers, body: tampered) { $0.status }
            #expect(forged == .badRequest)
            let unsigned = try await h.client.client.execute(uri: "/webhooks/test", method: .post, headers: [:], body: genuine.body) { $0.status }
            #expect(unsigned == .badRequest)
            let unknownProvider = try await h.client.client.execute(uri: "/webhooks/nobody", method: .post, headers: genuine.headers, body: genuine.body) { $0.status }
            #expect(unknownProvider == .notFound)
            #expect(try await h.inboxCount() == 1, "only the genuine, fresh delivery is stored")
        }
    }

    @Test(arguments: TestEngines.all)
    func duplicateDeliveriesApplyOnce(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try #require(try await h.placeOrder(body: h.cart(quantity: 2)).orderID)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<5 { group.addTask { try await h.deliver(id: "dup", type: "paid", order: id, amount: 5_000).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: .ok, count: 5))
            #expect(try await h.inboxCount() == 1)
            // Another event with the same meaning (a second "paid") is a second row but no second effect.
            _ = try await h.deliver(id: "dup-2", type: "paid", order: id, amount: 5_000)
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<3 { group.addTask { await h.drain() } }
            }
            #expect(try await h.inboxCount(status: "processed") == 2)
            #expect(try await h.variantCounts() == (2, 0), "sold once")
            #expect(try await h.order(id).string("status") == "paid")
        }
    }

    @Test(arguments: TestEngines.all)
    func outOfOrderEventsEndInTheRightState(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            // Expired arriving after paid: stays paid.
            let first = try #require(try await h.placeOrder().orderID)
            _ = try await h.deliver(id: "p1", type: "paid", order: first, amount: 2_500)
            await h.drain()
            _ = try await h.deliver(id: "x1", type: "expired", order: first)
            await h.drain()
            #expect(try await h.order(first).string("status") == "paid")

            // Refunded arriving before paid: retried until the payment is in, then refunded.
            let second = try #require(try await h.placeOrder().orderID)
            _ = try await h.deliver(id: "r2", type: "refunded", order: second, amount: 2_500)
            await h.drain()
            #expect(try await h.order(second).string("status") == "pending")
            #expect(try await h.inboxCount(status: "failed") == 1)
            _ = try await h.deliver(id: "p2", type: "paid", order: second, amount: 2_500)
            await h.drain()
            h.clock.advance(minutes: 2)
            await h.drain()
            #expect(try await h.order(second).string("status") == "refunded")
            #expect(try await h.variantCounts() == (1, 0), "the refunded order's seat is back")
        }
    }

    @Test(arguments: TestEngines.all)
    func unknownTypesAreIgnoredBadPayloadsDieAndAdminsReplay(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            #expect(try await h.deliver(id: "u1", type: "customer.created", order: "x").status == .ok)
            #expect(try await h.inboxCount(status: "ignored") == 1)
            _ = try await h.deliver(id: "bad1", type: "paid", order: "ord_not_an_order", amount: 1)
            await h.drain()
            #expect(try await h.inboxCount(status: "dead") == 1)

            let dead = try await h.client.get("/api/v1/admin/webhooks?status=dead", key: h.adminKey)
            let rows = try #require(dead.json["data"] as? [[String: Any]])
            #expect(rows.count == 1)
            #expect(rows.first?["event_id"] as? String == "bad1")
            #expect((rows.first?["last_error"] as? String)?.contains("without an order") == true)
            #expect(try await h.client.get("/api/v1/admin/webhooks", key: h.organizerKey).status == .forbidden)

            let webhook = try #require(rows.first?["id"] as? String)
            let replay = try await h.client.send(.post, "/api/v1/admin/webhooks/\(webhook)/replay", key: h.adminKey)
            #expect(replay.status == .accepted)
            #expect(replay.string("status") == "pending")
            #expect(try await h.client.send(.post, "/api/v1/admin/webhooks/\(webhook)/replay", key: h.adminKey).status == .conflict)
            await h.drain()
            #expect(try await h.inboxCount(status: "dead") == 1, "still unusable, dead again")
        }
    }

    /// Payments applied in one batch move their seats from held to sold once, at the batch's end.
    @Test(arguments: TestEngines.all)
    func aBatchOfPaymentsSellsEverySeatItHeld(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            for index in 0..<3 {
                let id = try #require(try await h.placeOrder().orderID)
                _ = try await h.deliver(id: "pay-\(index)", type: "paid", order: id, amount: 2_500)
            }
            #expect(try await h.variantCounts() == (0, 3))
            #expect(await h.drain() == 3)
            #expect(try await h.variantCounts() == (3, 0), "three seats sold, none still held")
            #expect(h.platform.inbox.batchesRolledBack == 0, "the three were applied as one batch")
            // Each row processed once, at the batch's time.
            struct Row: Decodable, Equatable { let status: String, attempts: Int, processedAt: Int64?, lastError: String? }
            let rows = try await h.database.read { sql in
                try await sql.raw("SELECT status, attempts, processed_at, last_error FROM webhook_inbox ORDER BY event_id")
                    .all(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase)
            }
            let processed = Row(status: "processed", attempts: 1, processedAt: h.clock.now().milliseconds, lastError: nil)
            #expect(rows == [processed, processed, processed])
        }
    }

    /// A batch reads its payments' orders together when it starts, each row for the first payment
    /// of its order only: a second payment of the same order in the batch reads the order paid, so
    /// it is recorded as a second charge, and the batch is not rolled back.
    @Test(arguments: TestEngines.all)
    func aSecondPaymentOfAnOrderInTheSameBatchIsASecondCharge(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let first = try #require(try await h.placeOrder().orderID)
            let other = try #require(try await h.placeOrder().orderID)
            _ = try await h.deliver(id: "pay-1", type: "paid", order: first, amount: 2_500, reference: "ch_1")
            _ = try await h.deliver(id: "pay-2", type: "paid", order: other, amount: 2_500, reference: "ch_2")
            _ = try await h.deliver(id: "pay-3", type: "paid", order: first, amount: 2_500, reference: "ch_3")
            #expect(await h.drain() == 3)
            #expect(h.platform.inbox.batchesRolledBack == 0, "the three were applied as one batch")
            #expect(try await h.order(first).string("status") == "paid")
            #expect(try await h.order(other).string("status") == "paid")
            #expect(try await h.variantCounts() == (2, 0))
            struct Stray: Decodable, Equatable { let reference: String, orderId: String }
            let strays = try await h.database.read { sql in
                try await sql.raw("SELECT reference, order_id FROM stray_payments ORDER BY reference")
                    .all(decoding: Stray.self, keyDecodingStrategy: .convertFromSnakeCase)
            }
            #expect(strays == [Stray(reference: "ch_3", orderId: first)])
        }
    }

    /// The worker takes due rows in batches of one transaction; a row that fails undoes its batch,
    /// whose rows are then taken one at a time: the others apply, and the failure counts once.
    @Test(arguments: TestEngines.all)
    func aFailingWebhookInABatchCostsOnlyItsOwnAttempt(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            var orders: [String] = []
            for _ in 0..<3 { orders.append(try #require(try await h.placeOrder().orderID)) }
            _ = try await h.deliver(id: "a", type: "paid", order: orders[0], amount: 2_500)
            _ = try await h.deliver(id: "b", type: "refunded", order: orders[1], amount: 2_500)
            _ = try await h.deliver(id: "c", type: "paid", order: orders[2], amount: 2_500)
            #expect(await h.drain() == 3)
            #expect(h.platform.inbox.batchesRolledBack == 1, "the batch was rolled back once")
            #expect(try await h.order(orders[0]).string("status") == "paid")
            #expect(try await h.order(orders[1]).string("status") == "pending")
            #expect(try await h.order(orders[2]).string("status") == "paid")
            #expect(try await h.variantCounts() == (2, 1), "two seats sold, one still held")
            struct Row: Decodable, Equatable { let eventId: String, status: String, attempts: Int }
            let rows = try await h.database.read { sql in
                try await sql.raw("SELECT event_id, status, attempts FROM webhook_inbox ORDER BY event_id")
                    .all(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase)
            }
            #expect(rows == [Row(eventId: "a", status: "processed", attempts: 1), Row(eventId: "b", status: "failed", attempts: 1),
                             Row(eventId: "c", status: "processed", attempts: 1)])
        }
    }

    /// Work cut by the server stopping is no failure of its row: the batch is undone, nothing of it
    /// is kept, no attempt is counted, and its rows (the cut one too) stay due for the next claim.
    @Test(arguments: TestEngines.all)
    func aBatchCutByTheServerStoppingLeavesItsRowsDue(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            var orders: [String] = []
            for _ in 0..<2 { orders.append(try #require(try await h.placeOrder().orderID)) }
            struct Row: Decodable, Equatable { let eventId: String, status: String, attempts: Int }
            @Sendable func rows() async throws -> [Row] {
                try await h.database.read { sql in
                    try await sql.raw("SELECT event_id, status, attempts FROM webhook_inbox ORDER BY event_id")
                        .all(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase)
                }
            }
            // A row whose work is cut as a cancelled task's work is.
            h.provider.handle("stopping") { _ in throw CancellationError() }
            // Alone (a batch of one), the cut row is left as it was.
            _ = try await h.deliver(id: "b", type: "stopping", order: orders[1])
            #expect(await h.platform.inbox.drain(limit: 1) == 0)
            #expect(try await rows() == [Row(eventId: "b", status: "pending", attempts: 0)])

            _ = try await h.deliver(id: "a", type: "paid", order: orders[0], amount: 2_500)
            _ = try await h.deliver(id: "c", type: "paid", order: orders[1], amount: 2_500)
            #expect(await h.drain() == 0, "the batch was cut: none taken")
            #expect(h.platform.inbox.batchesRolledBack == 0, "not taken again one at a time")
            #expect(try await rows() == ["a", "b", "c"].map { Row(eventId: $0, status: "pending", attempts: 0) })
            #expect(try await h.order(orders[0]).string("status") == "pending", "nothing of the batch was kept")
            #expect(try await h.variantCounts() == (0, 2))
        }
    }

    @Test(arguments: TestEngines.all)
    func failingEventsBackOffAndDieAfterTheLastAttempt(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try #require(try await h.placeOrder().orderID)
            _ = try await h.deliver(id: "never", type: "refunded", order: id, amount: 2_500)
            var attempts = 0
            while try await h.inboxCount(status: "dead") == 0, attempts < 20 {
                await h.drain()
                h.clock.advance(minutes: 90)
                attempts += 1
            }
            #expect(attempts == 8, "the default of 8 attempts")
            #expect(try await h.order(id).string("status") == "pending", "no effect was applied")
        }
    }

    @Test(arguments: TestEngines.all)
    func handledWebhooksArePurgedAfterTheRetentionDeadOnesStay(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try #require(try await h.placeOrder().orderID)
            _ = try await h.deliver(id: "old-paid", type: "paid", order: id, amount: 2_500)
            _ = try await h.deliver(id: "old-ignored", type: "customer.created", order: id)
            _ = try await h.deliver(id: "old-dead", type: "paid", order: "ord_nothing", amount: 1)
            await h.drain()
            h.clock.advance(minutes: 29 * 24 * 60)
            _ = try await h.deliver(id: "recent", type: "noop", order: id)
            await h.drain()
            try await h.platform.housekeeping.run()
            #expect(try await h.inboxCount() == 4, "nothing is 30 days old yet")
            h.clock.advance(minutes: 2 * 24 * 60)
            try await h.platform.housekeeping.run()
            #expect(try await h.inboxCount() == 2)
            #expect(try await h.inboxCount(status: "dead") == 1)
            #expect(try await h.inboxCount(status: "processed") == 1, "the recent one")
        }
    }
}
