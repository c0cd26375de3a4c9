import Credits
import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing

/// Buyer credit through Stripe: a pack bought with Stripe Checkout, and an order Stripe pays in part.
@Suite struct StripeCreditTests {
    @Test(arguments: TestEngines.all)
    func aPackBoughtWithStripeCheckoutIsCreditedOnce(engine: DatabaseEngine) async throws {
        try await withStripe(engine) { h, fake, _ in
            let pack = try await h.creditPack(price: 4_500, credit: 5_000)
            let placed = try await h.client.send(.post, "/api/v1/public/credit-packs/\(pack)/orders",
                                                 json: #"{"email":"buyer@example.com","provider":"stripe"}"#,
                                                 headers: [HTTPField.Name("Idempotency-Key")!: "stripe-pack"])
            #expect(placed.status == .created, "\(placed.text)")
            let order = try #require(placed.orderID)
            let form = Dictionary(try #require(fake.requests.last).form, uniquingKeysWith: { $1 })
            #expect(form["line_items[0][price_data][unit_amount]"] == "4500" && form["line_items[0][price_data][product_data][name]"] == "Credit: Pack 5000")
            #expect(form["client_reference_id"] == order)
            let session = String(try #require(placed.string("checkout_url")).split(separator: "/").last ?? "")
            let paid = fake.event(type: "checkout.session.completed", object: fake.sessionObject(session, paymentStatus: "paid"))
            #expect(try await h.deliverStripe(paid) == .ok)
            #expect(try await h.deliverStripe(fake.event(type: "checkout.session.completed", object: fake.sessionObject(session, paymentStatus: "paid"))) == .ok)
            await h.drain()
            #expect(try await h.credit() == 5_000)
            let accounts = try await h.accountBalances()
            #expect(accounts["clearing:stripe EUR"] == Int64(4_500) && accounts["credit_promotions EUR"] == Int64(500))
        }
    }

    @Test(arguments: TestEngines.all)
    func stripeTakesTheRestOfAnOrderCreditPaysInPart(engine: DatabaseEngine) async throws {
        try await withStripe(engine, extraProviders: [CreditsProvider()]) { h, fake, _ in
            let session = try await h.buyerSession()
            let pack = try await h.creditPack(price: 1_000, credit: 1_000)
            let packOrder = try #require(try await h.client.send(.post, "/api/v1/public/credit-packs/\(pack)/orders",
                                                                  json: #"{"email":"buyer@example.com","provider":"stripe"}"#,
                                                                  headers: [HTTPField.Name("Idempotency-Key")!: "p"]).string("checkout_url"))
            _ = try await h.deliverStripe(fake.event(type: "checkout.session.completed",
                                                     object: fake.sessionObject(String(packOrder.split(separator: "/").last ?? ""), paymentStatus: "paid")))
            await h.drain()

            let placed = try await h.client.send(.post, "/api/v1/public/events/\(h.eventID)/orders",
                                                 json: h.cart(quantity: 2, provider: "stripe", extra: #","use_credit":"all""#),
                                                 headers: [HTTPField.Name("Idempotency-Key")!: "split", .authorization: "Bearer \(session)"])
            #expect(placed.status == .created, "\(placed.text)")
            let order = try #require(placed.orderID)
            #expect((placed.json["order"] as? [String: Any])?["credit_amount"] as? Int == 1_000)
            let form = Dictionary(try #require(fake.requests.last).form, uniquingKeysWith: { $1 })
            #expect(form["line_items[0][price_data][unit_amount]"] == "4000" && form["line_items[0][quantity]"] == "1")
            #expect(form["line_items[1][quantity]"] == nil, "one line: the tickets less the credit")
            let stripeSession = String(try #require(placed.string("checkout_url")).split(separator: "/").last ?? "")
            _ = try await h.deliverStripe(fake.event(type: "checkout.session.completed", object: fake.sessionObject(stripeSession, paymentStatus: "paid")))
            await h.drain()
            #expect(try await h.order(order).string("status") == "paid")
            #expect(try await h.credit() == 0)

            let refund = try await h.client.post("/api/v1/orders/\(order)/refunds", key: h.organizerKey, json: #"{"amount":1500}"#)
            #expect(refund.status == .accepted && refund.json["credit_amount"] as? Int == 1_000 && refund.json["amount"] as? Int == 500)
            let asked = Dictionary(try #require(fake.requests.last { $0.path == "/v1/refunds" }).form, uniquingKeysWith: { $1 })
            #expect(asked["amount"] == "500")
            #expect(try await h.credit() == 1_000)
        }
    }
}
