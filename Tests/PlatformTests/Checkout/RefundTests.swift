import Foundation
import Platform
import PlatformTesting
import Testing

@Suite struct RefundTests {
    func paidOrder(_ h: CheckoutHarness, quantity: Int = 2) async throws -> String {
        let reply = try await h.placeOrder(body: h.cart(quantity: quantity))
        let id = try #require((reply.json["order"] as? [String: Any])?["id"] as? String)
        _ = try await h.deliver(id: "paid-\(id)", type: "paid", order: id, amount: 2_500 * Int64(quantity))
        await h.drain()
        return id
    }

    @Test(arguments: TestEngines.all)
    func partialThenFullRefundThroughTheProvider(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try await paidOrder(h)
            let partial = try await h.client.post("/api/v1/orders/\(id)/refunds", key: h.organizerKey, json: #"{"amount":1000,"reason":"one guest cannot come"}"#)
            #expect(partial.status == .accepted)
            #expect(partial.json["amount"] as? Int == 1_000)
            #expect(h.provider.refunds.last?.totalRefundedAfter == Money(minorUnits: 1_000, currency: .eur))
            let tooMuch = try await h.client.post("/api/v1/orders/\(id)/refunds", key: h.organizerKey, json: #"{"amount":4001}"#)
            #expect(tooMuch.status == .unprocessableContent)
            #expect(tooMuch.errorFields == ["amount"])

            _ = try await h.deliver(id: "r-1", type: "refunded", order: id, amount: 1_000)
            await h.drain()
            let afterPartial = try await h.order(id)
            #expect(afterPartial.string("status") == "partially_refunded")
            #expect(afterPartial.json["refunded"] as? Int == 1_000)
            #expect(try await h.variantCounts() == (2, 0))

            let rest = try await h.client.send(.post, "/api/v1/orders/\(id)/refunds", key: h.organizerKey)
            #expect(rest.json["amount"] as? Int == 4_000)
            #expect(h.provider.refunds.last?.totalRefundedAfter == Money(minorUnits: 5_000, currency: .eur))
            _ = try await h.deliver(id: "r-2", type: "refunded", order: id, amount: 5_000)
            _ = try await h.deliver(id: "r-1-again", type: "refunded", order: id, amount: 1_000)
            await h.drain()
            let refunded = try await h.order(id)
            #expect(refunded.string("status") == "refunded")
            #expect(refunded.json["refunded"] as? Int == 5_000)
            #expect(try await h.variantCounts() == (0, 0))
            #expect(try await h.client.send(.post, "/api/v1/orders/\(id)/refunds", key: h.organizerKey).status == .unprocessableContent)
        }
    }

    @Test(arguments: TestEngines.all)
    func refundsNeedAPaidOrderOfYourOwn(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let pending = try #require((try await h.placeOrder().json["order"] as? [String: Any])?["id"] as? String)
            #expect(try await h.client.send(.post, "/api/v1/orders/\(pending)/refunds", key: h.organizerKey).status == .conflict)
            let paid = try await paidOrder(h)
            let other = try await h.client.createOrganizer(admin: h.adminKey, slug: "someone-else")
            #expect(try await h.client.send(.post, "/api/v1/orders/\(paid)/refunds", key: other.key).status == .notFound)
            #expect(try await h.client.get("/api/v1/orders/\(paid)", key: other.key).status == .notFound)
            #expect(try await h.client.get("/api/v1/events/\(h.eventID)/orders", key: other.key).status == .notFound)
            h.provider.fail(with: .declined("refund window closed"))
            let declined = try await h.client.send(.post, "/api/v1/orders/\(paid)/refunds", key: h.organizerKey)
            #expect(declined.status.code == 402)
            h.provider.fail(with: nil)
            #expect(try await h.client.send(.post, "/api/v1/orders/\(paid)/refunds", key: h.organizerKey).status == .accepted,
                    "a failed refund does not count against what is left")
        }
    }

    @Test(arguments: TestEngines.all)
    func disputesFlagTheOrder(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try await paidOrder(h)
            _ = try await h.deliver(id: "d1", type: "disputed", order: id, amount: 5_000)
            await h.drain()
            let order = try await h.order(id)
            #expect(order.string("status") == "paid")
            #expect(order.string("dispute_reason") == "fraudulent")
        }
    }

    @Test(arguments: TestEngines.all)
    func adminsSeeFailedAutomaticRefundsAndRetryThem(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try #require(try await h.placeOrder().orderID)
            h.provider.fail(with: .unavailable("down"))
            _ = try await h.deliver(id: "wrong-amount", type: "paid", order: id, amount: 100)
            await h.drain()
            let failed = try await h.client.get("/api/v1/admin/refunds", key: h.adminKey)
            let rows = try #require(failed.json["data"] as? [[String: Any]])
            #expect(rows.count == 1)
            #expect(rows.first?["order_id"] as? String == id)
            #expect(rows.first?["error"] as? String == "unavailable: down")
            #expect(try await h.client.get("/api/v1/admin/refunds", key: h.organizerKey).status == .forbidden)
            #expect(try await h.client.get("/api/v1/admin/refunds?status=lost", key: h.adminKey).status == .unprocessableContent)
            // An empty item is refused, as the API document's pattern says.
            for filter in ["failed,", ",failed", "failed,,requested"] {
                #expect(try await h.client.get("/api/v1/admin/refunds?status=\(filter)", key: h.adminKey).status == .unprocessableContent, "\(filter)")
            }

            h.provider.fail(with: nil)
            let retried = try await h.client.post("/api/v1/admin/orders/\(id)/refunds", key: h.adminKey, json: #"{"amount":100}"#)
            #expect(retried.status == .accepted)
            #expect(h.provider.refunds.map(\.amount.minorUnits) == [100])
            let requested = try await h.client.get("/api/v1/admin/refunds?status=requested", key: h.adminKey)
            #expect((requested.json["data"] as? [Any])?.count == 1)
            let all = try await h.client.get("/api/v1/admin/refunds?status=all", key: h.adminKey)
            #expect((all.json["data"] as? [Any])?.count == 2, "the failed refund and the requested one")
        }
    }
}
