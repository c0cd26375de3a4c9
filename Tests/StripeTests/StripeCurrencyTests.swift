import Foundation
import HTTPTypes
import Platform
import PlatformTesting
@testable import Stripe
import Testing

/// Our minor units are ISO 4217's; Stripe's are not always: each amount is converted both ways,
/// and an amount Stripe would refuse is refused before a seat is taken.
@Suite struct StripeCurrencyTests {
    /// The instance from the field: an ISK event at 5,000 kr a seat. Stripe counts ISK in hundredths,
    /// so sending 5000 charged the buyer 50 kr, and a session of 10000 matched our total of 10000.
    @Test(arguments: TestEngines.all)
    func iskIsSentInStripesHundredthsAndReadBack(engine: DatabaseEngine) async throws {
        let isk = try #require(Currency(code: "ISK"))
        try await withStripe(engine, currency: isk, price: 5_000) { h, fake, _ in
            let (order, session) = try await h.placeStripeOrder(quantity: 2)
            let sent = Dictionary(try #require(fake.requests.last { $0.path == "/v1/checkout/sessions" }).form, uniquingKeysWith: { $1 })
            #expect(sent["line_items[0][price_data][unit_amount]"] == "500000" && sent["line_items[0][price_data][currency]"] == "isk")
            // Stripe reports 1,000,000 hundredths: our 10,000 kr.
            _ = try await h.deliverStripe(fake.event(type: "checkout.session.completed", object: fake.sessionObject(session, paymentStatus: "paid")))
            await h.drain()
            #expect(try await h.order(order).string("status") == "paid")

            let refund = try await h.client.post("/api/v1/orders/\(order)/refunds", key: h.organizerKey, json: #"{"amount":5000}"#)
            #expect(refund.status == .accepted, "\(refund.text)")
            #expect(Dictionary(try #require(fake.requests.last).form, uniquingKeysWith: { $1 })["amount"] == "500000")
            let charge = #"{"id":"ch_1","object":"charge","amount":1000000,"amount_refunded":500000,"currency":"isk","payment_intent":"pi_for_\#(session)"}"#
            _ = try await h.deliverStripe(fake.event(type: "charge.refunded", object: charge))
            await h.drain()
            let body = try await h.order(order)
            #expect(body.string("status") == "partially_refunded" && body.json["refunded"] as? Int == 5_000)

            // What the old code was paid: 10000 hundredths is 100 kr, not the order's 10,000 kr.
            let (second, other) = try await h.placeStripeOrder(quantity: 2)
            _ = try await h.deliverStripe(fake.event(type: "checkout.session.completed",
                                                     object: fake.sessionObject(other, paymentStatus: "paid", amount: 10_000)))
            await h.drain()
            #expect(try await h.order(second).string("status") == "review")
        }
    }

    @Test(arguments: TestEngines.all)
    func amountsStripeRefusesReserveNothing(engine: DatabaseEngine) async throws {
        // Below Stripe's smallest EUR charge (0.50).
        try await withStripe(engine, price: 30) { h, fake, _ in
            let reply = try await h.placeOrder(body: h.cart(quantity: 1, provider: "stripe"))
            #expect(reply.status == .unprocessableContent && reply.errorFields == ["provider"], "\(reply.text)")
            #expect(reply.text.contains("smallest charge in EUR is 0.50 EUR"))
            #expect(try await h.variantCounts() == (0, 0) && fake.requests.isEmpty, "nothing reserved, Stripe not asked")
            #expect(try await h.placeOrder(body: h.cart(quantity: 2, provider: "stripe")).status == .created, "0.60 is enough")
        }
        // A three-decimal currency whose last digit is not 0.
        let kwd = try #require(Currency(code: "KWD"))
        try await withStripe(engine, currency: kwd, price: 1_005) { h, _, _ in
            let reply = try await h.placeOrder(body: h.cart(quantity: 1, provider: "stripe"))
            #expect(reply.status == .unprocessableContent && reply.text.contains("last digit is 0"), "\(reply.text)")
            #expect(try await h.variantCounts() == (0, 0))
        }
        // MGA: two decimals in ISO 4217, none at Stripe.
        let mga = try #require(Currency(code: "MGA"))
        try await withStripe(engine, currency: mga, price: 150_050) { h, _, _ in
            let reply = try await h.placeOrder(body: h.cart(quantity: 1, provider: "stripe"))
            #expect(reply.status == .unprocessableContent && reply.text.contains("whole units"), "\(reply.text)")
        }
        // Per line too: two seats at 1500.50 MGA are 3001 whole ariary, but no seat is.
        try await withStripe(engine, currency: mga, price: 150_050) { h, _, _ in
            let reply = try await h.placeOrder(body: h.cart(quantity: 2, provider: "stripe"))
            #expect(reply.status == .unprocessableContent && reply.text.contains("whole units"), "\(reply.text)")
            #expect(try await h.variantCounts() == (0, 0))
        }
        try await withStripe(engine, currency: mga, price: 150_000) { h, fake, _ in
            _ = try await h.placeStripeOrder(quantity: 1)
            let sent = Dictionary(try #require(fake.requests.last).form, uniquingKeysWith: { $1 })
            #expect(sent["line_items[0][price_data][unit_amount]"] == "1500")
        }
    }

    @Test func conversionsBothWays() throws {
        let isk = try #require(Currency(code: "ISK")), mga = try #require(Currency(code: "MGA")), kwd = try #require(Currency(code: "KWD"))
        #expect(try StripeAmounts.stripeUnits(Money(minorUnits: 5_000, currency: isk)) == 500_000)
        #expect(try StripeAmounts.minorUnits(500_000, currency: "isk") == Money(minorUnits: 5_000, currency: isk))
        #expect(throws: WebhookPayloadError.self) { try StripeAmounts.minorUnits(500_050, currency: "isk") }
        #expect(try StripeAmounts.stripeUnits(Money(minorUnits: 150_000, currency: mga)) == 1_500)
        #expect(try StripeAmounts.minorUnits(1_500, currency: "mga") == Money(minorUnits: 150_000, currency: mga))
        #expect(try StripeAmounts.stripeUnits(Money(minorUnits: 1_250, currency: kwd)) == 1_250)
        #expect(try StripeAmounts.stripeUnits(Money(minorUnits: 2_500, currency: .eur)) == 2_500)
        #expect(try StripeAmounts.stripeUnits(Money(minorUnits: 500, currency: .jpy)) == 500)
        #expect(Currency.known.count == 165 && Currency.iso4217Published == "2026-01-01")
        // UGX: no minor unit in ISO 4217, hundredths at Stripe (its special cases), as ISK.
        let ugx = try #require(Currency(code: "UGX"))
        #expect(try StripeAmounts.stripeUnits(Money(minorUnits: 5_000, currency: ugx)) == 500_000)
        #expect(try StripeAmounts.minorUnits(500_000, currency: "ugx") == Money(minorUnits: 5_000, currency: ugx))
        // What a payout can send: whole ariary, three-decimal amounts ending in 0.
        #expect(StripeAmounts.payable(Money(minorUnits: 146_250, currency: mga)) == Money(minorUnits: 146_200, currency: mga))
        #expect(StripeAmounts.payable(Money(minorUnits: 1_255, currency: kwd)) == Money(minorUnits: 1_250, currency: kwd))
        #expect(StripeAmounts.payable(Money(minorUnits: 1_255, currency: .eur)) == Money(minorUnits: 1_255, currency: .eur))
    }
}
