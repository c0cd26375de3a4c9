import Credits
import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing

/// Buyer credit through PayPal: PayPal is asked for, and captures, only what credit does not pay.
@Suite struct PayPalCreditTests {
    @Test(arguments: TestEngines.all)
    func payPalCapturesTheRestOfAnOrderCreditPaysInPart(engine: DatabaseEngine) async throws {
        try await withPayPal(engine, extraProviders: [CreditsProvider()]) { h, fake, _ in
            let session = try await h.buyerSession()
            let pack = try await h.creditPack(price: 1_000, credit: 1_000)
            let packReply = try await h.client.send(.post, "/api/v1/public/credit-packs/\(pack)/orders",
                                                    json: #"{"email":"buyer@example.com","provider":"paypal"}"#,
                                                    headers: [HTTPField.Name("Idempotency-Key")!: "p"])
            let packLink = try #require(packReply.string("checkout_url").flatMap { URLComponents(string: $0) }, "\(packReply.text)")
            let packPayPal = try #require(packLink.queryItems?.first { $0.name == "token" }?.value)
            #expect(try await h.returnFromPayPal(try fake.approve(packPayPal)).status == .seeOther)
            #expect(try await h.credit() == 1_000, "captured on the buyer's return, credited at once")

            let placed = try await h.client.send(.post, "/api/v1/public/events/\(h.eventID)/orders",
                                                 json: h.cart(quantity: 2, provider: "paypal", extra: #","use_credit":1000"#),
                                                 headers: [HTTPField.Name("Idempotency-Key")!: "split", .authorization: "Bearer \(session)"])
            #expect(placed.status == .created, "\(placed.text)")
            let order = try #require(placed.orderID)
            let link = try #require(placed.string("checkout_url").flatMap { URLComponents(string: $0) })
            let paypal = try #require(link.queryItems?.first { $0.name == "token" }?.value)
            #expect(fake.amount(of: paypal) == Money(minorUnits: 4_000, currency: .eur), "PayPal is asked for the rest")
            #expect(try await h.returnFromPayPal(try fake.approve(paypal)).status == .seeOther)
            #expect(try await h.status(of: order) == "paid")
            #expect(try await h.credit() == 0)
        }
    }
}
