import Foundation
import HTTPTypes
import Hummingbird
import Platform
import PlatformTesting
import SQLKit
@testable import Stripe
import Testing

/// Runs `body` with the fake Stripe serving and a harness whose platform has the Stripe plugin.
func withStripe(_ engine: DatabaseEngine, maxRetries: Int = 2, timeout: Duration = .seconds(5), apiBase: String? = nil,
                currency: Currency = .eur, price: Int64 = 2_500, extraProviders: [any PaymentProvider] = [],
                _ body: @escaping @Sendable (CheckoutHarness, FakeStripe, StripeProvider) async throws -> Void) async throws {
    let clock = ManualClock()
    let fake = FakeStripe(clock: clock)
    try await fake.serving { base in
        var configuration = StripeConfiguration(secretKey: FakeStripe.secretKey, webhookSecrets: ["whsec_previous", FakeStripe.webhookSecret])
        configuration.apiBase = apiBase ?? base
        configuration.maxRetries = maxRetries
        configuration.retryBaseDelay = .milliseconds(5)
        configuration.requestTimeout = timeout
        let stripe = StripeProvider(configuration: configuration, logger: quietLogger)
        try await CheckoutHarness.run(engine, clock: clock, price: price, currency: currency, extraProviders: [stripe] + extraProviders) { h in
            try await body(h, fake, stripe)
        }
    }
}

extension CheckoutHarness {
    func placeStripeOrder(quantity: Int = 2) async throws -> (order: String, session: String) {
        let reply = try await placeOrder(body: cart(quantity: quantity, provider: "stripe"))
        try #require(reply.status == .created, "\(reply.text)")
        let order = try #require((reply.json["order"] as? [String: Any])?["id"] as? String)
        let url = try #require(reply.string("checkout_url"))
        return (order, String(url.split(separator: "/").last ?? ""))
    }

    func deliverStripe(_ event: (body: ByteBuffer, headers: HTTPFields, payload: String, header: String)) async throws -> HTTPResponse.Status {
        try await client.client.execute(uri: "/webhooks/stripe", method: .post, headers: event.headers, body: event.body) { $0.status }
    }
}

@Suite struct StripeCheckoutTests {
    @Test(arguments: TestEngines.all)
    func checkoutSessionIsCreatedAsStripeExpects(engine: DatabaseEngine) async throws {
        try await withStripe(engine) { h, fake, _ in
            let (order, session) = try await h.placeStripeOrder()
            #expect(session.hasPrefix("cs_test_"))
            let request = try #require(fake.requests.last)
            #expect(request.path == "/v1/checkout/sessions")
            #expect(request.headers["authorization"] == "Bearer \(FakeStripe.secretKey)")
            #expect(request.headers["stripe-version"] == "2024-06-20")
            #expect(request.headers["idempotency-key"] == "checkout-\(order)")
            #expect(request.headers["content-type"] == "application/x-www-form-urlencoded")
            let form = Dictionary(request.form, uniquingKeysWith: { $1 })
            #expect(form["mode"] == "payment")
            #expect(form["line_items[0][price_data][currency]"] == "eur")
            #expect(form["line_items[0][price_data][unit_amount]"] == "2500")
            #expect(form["line_items[0][price_data][product_data][name]"] == "Harness Night: GA")
            #expect(form["line_items[0][quantity]"] == "2")
            #expect(form["client_reference_id"] == order)
            #expect(form["metadata[order_id]"] == order)
            #expect(form["customer_email"] == "buyer@example.com")
            let expires = try #require(form["expires_at"].flatMap(Int64.init))
            #expect(expires == h.clock.now().milliseconds / 1000 + 1860, "the reservation is lengthened to Stripe's 30-minute minimum and a minute for the call")
            let shown = try await h.order(order)
            #expect(shown.string("expires_at") == h.clock.now().adding(minutes: 31).rfc3339)
        }
    }

    @Test(arguments: TestEngines.all)
    func paymentEventsMoveTheOrder(engine: DatabaseEngine) async throws {
        try await withStripe(engine) { h, fake, _ in
            let (paid, paidSession) = try await h.placeStripeOrder()
            #expect(try await h.deliverStripe(fake.event(type: "checkout.session.completed",
                                                         object: fake.sessionObject(paidSession, paymentStatus: "unpaid"))) == .ok)
            await h.drain()
            #expect(try await h.order(paid).string("status") == "pending", "completed but unpaid waits for async_payment_*")
            _ = try await h.deliverStripe(fake.event(type: "checkout.session.async_payment_succeeded",
                                                     object: fake.sessionObject(paidSession, paymentStatus: "paid")))
            await h.drain()
            #expect(try await h.order(paid).string("status") == "paid")

            let (failed, failedSession) = try await h.placeStripeOrder(quantity: 1)
            _ = try await h.deliverStripe(fake.event(type: "checkout.session.async_payment_failed",
                                                     object: fake.sessionObject(failedSession, paymentStatus: "unpaid")))
            let (expired, expiredSession) = try await h.placeStripeOrder(quantity: 1)
            _ = try await h.deliverStripe(fake.event(type: "checkout.session.expired",
                                                     object: fake.sessionObject(expiredSession, paymentStatus: "unpaid", status: "expired")))
            await h.drain()
            #expect(try await h.order(failed).string("status") == "failed")
            #expect(try await h.order(expired).string("status") == "expired")
            #expect(try await h.variantCounts() == (2, 0))
        }
    }

    @Test(arguments: TestEngines.all)
    func refundsAndDisputes(engine: DatabaseEngine) async throws {
        try await withStripe(engine) { h, fake, _ in
            let (order, session) = try await h.placeStripeOrder()
            _ = try await h.deliverStripe(fake.event(type: "checkout.session.completed", object: fake.sessionObject(session, paymentStatus: "paid")))
            await h.drain()
            let refund = try await h.client.post("/api/v1/orders/\(order)/refunds", key: h.organizerKey, json: #"{"amount":1500,"reason":"one guest"}"#)
            #expect(refund.status == .accepted, "\(refund.text)")
            #expect(refund.string("provider_reference")?.hasPrefix("re_test_") == true)
            let sent = Dictionary(try #require(fake.requests.last).form, uniquingKeysWith: { $1 })
            #expect(sent["payment_intent"] == "pi_for_\(session)")
            #expect(sent["amount"] == "1500")
            #expect(sent["metadata[order_id]"] == order)

            let charge = #"{"id":"ch_1","object":"charge","amount":5000,"amount_refunded":1500,"refunded":false,"currency":"eur","payment_intent":"pi_for_\#(session)"}"#
            _ = try await h.deliverStripe(fake.event(type: "charge.refunded", object: charge))
            await h.drain()
            #expect(try await h.order(order).string("status") == "partially_refunded")
            let full = charge.replacingOccurrences(of: #""amount_refunded":1500,"refunded":false"#, with: #""amount_refunded":5000,"refunded":true"#)
            _ = try await h.deliverStripe(fake.event(type: "charge.refunded", object: full))
            let dispute = #"{"id":"dp_1","object":"dispute","amount":5000,"currency":"eur","charge":"ch_1","payment_intent":"pi_for_\#(session)","reason":"fraudulent","status":"needs_response"}"#
            _ = try await h.deliverStripe(fake.event(type: "charge.dispute.created", object: dispute))
            _ = try await h.deliverStripe(fake.event(type: "charge.dispute.closed", object: dispute.replacingOccurrences(of: "needs_response", with: "won")))
            await h.drain()
            let final = try await h.order(order)
            #expect(final.string("status") == "refunded")
            #expect(final.string("dispute_reason") == "fraudulent")
            #expect(try await h.variantCounts() == (0, 0))
            struct Dispute: Decodable { let status: String }
            let decided = try await h.database.read { sql in
                try await sql.raw("SELECT status FROM disputes WHERE provider_dispute_id = 'dp_1'").first(decoding: Dispute.self)
            }
            #expect(decided?.status == "won", "charge.dispute.closed decides it")
        }
    }

    @Test func rateLimitsAreRetriedWithTheSameKeyAndErrorsMapped() async throws {
        try await withStripe(.sqlite) { h, fake, _ in
            fake.inject(429, type: "invalid_request_error", message: "Too many requests", times: 2)
            _ = try await h.placeStripeOrder()
            let keys = fake.requests.map { $0.headers["idempotency-key"] }
            #expect(keys.count == 3 && Set(keys).count == 1, "two retries, one key")

            fake.inject(500, type: "api_error", message: "Something went wrong on Stripe's end.", saved: true)
            let broken = try await h.placeOrder(body: h.cart(provider: "stripe"))
            #expect(broken.status == .badGateway, "a saved 500 is replayed to every retry")
            #expect(broken.string("detail") == "Something went wrong on Stripe's end.")

            fake.inject(400, type: "invalid_request_error", message: "Invalid currency: xyz")
            #expect(try await h.placeOrder(body: h.cart(provider: "stripe")).status == .badRequest)
            fake.inject(402, type: "card_error", message: "Your card was declined.")
            #expect(try await h.placeOrder(body: h.cart(provider: "stripe")).status.code == 402)
            #expect(try await h.variantCounts() == (0, 2), "only the first order holds seats")
        }
    }

    @Test func aRejectedKeyIsNeverEchoed() async throws {
        let clock = ManualClock()
        let fake = FakeStripe(clock: clock)
        try await fake.serving { base in
            var configuration = StripeConfiguration(secretKey: "sk_live_very_secret_value", webhookSecrets: [FakeStripe.webhookSecret])
            configuration.apiBase = base
            let stripe = StripeProvider(configuration: configuration, logger: quietLogger)
            try await CheckoutHarness.run(.sqlite, clock: clock, extraProviders: [stripe]) { h in
                let reply = try await h.placeOrder(body: h.cart(provider: "stripe"))
                #expect(reply.status == .badGateway)
                #expect(reply.string("detail") == "Stripe refused the platform's API key")
                #expect(!reply.text.contains("very_secret"))
            }
        }
    }

    @Test(arguments: TestEngines.all)
    func stripeDownOrSlowReleasesTheSeats(engine: DatabaseEngine) async throws {
        try await withStripe(engine, maxRetries: 1, timeout: .milliseconds(300), apiBase: "http://127.0.0.1:1") { h, _, _ in
            let down = try await h.placeOrder(body: h.cart(provider: "stripe"))
            #expect(down.status == .serviceUnavailable)
            #expect(try await h.variantCounts() == (0, 0))
        }
        try await withStripe(engine, maxRetries: 1, timeout: .milliseconds(200)) { h, fake, _ in
            fake.delay(.seconds(1))
            let slow = try await h.placeOrder(body: h.cart(provider: "stripe"))
            #expect(slow.status == .serviceUnavailable)
            #expect(try await h.variantCounts() == (0, 0))
        }
    }

    @Test func forgedStripeWebhooksAreRejected() async throws {
        try await withStripe(.sqlite) { h, fake, _ in
            let (_, session) = try await h.placeStripeOrder()
            let forged = fake.event(type: "checkout.session.completed", object: fake.sessionObject(session, paymentStatus: "paid"), secret: "whsec_guess")
            #expect(try await h.deliverStripe(forged) == .badRequest)
            let rotated = fake.event(type: "checkout.session.completed", object: fake.sessionObject(session, paymentStatus: "paid"), secret: "whsec_previous")
            #expect(try await h.deliverStripe(rotated) == .ok, "any configured secret verifies during rotation")
            #expect(try await h.inboxCount() == 1)
        }
    }
}
