import Foundation
import HTTPTypes
import Hummingbird
import Platform
import PlatformTesting
import Testing
@testable import PayPal

/// A PayPal provider talking to the fake PayPal, its certificates served by the fake's test CA.
func makePayPal(base: String, fake: FakePayPal, clock: any WallClock, verification: PayPalConfiguration.WebhookVerification = .offline,
                maxRetries: Int = 2, baseURL: String = PlatformConfig().baseURL, served: ServedCertificates = ServedCertificates()) -> PayPalProvider {
    var configuration = PayPalConfiguration(clientID: FakePayPal.clientID, clientSecret: FakePayPal.clientSecret, webhookID: FakePayPal.webhookID)
    configuration.apiBase = base
    configuration.webhookVerification = verification
    configuration.maxRetries = maxRetries
    configuration.retryBaseDelay = .milliseconds(2)
    served.serve(fake.certificatePEM, at: FakePayPal.certificateURL)
    return PayPalProvider(configuration: configuration, baseURL: baseURL,
                          certificates: PayPalCertificates(fetcher: served, anchors: [fake.ca.certificate]), clock: clock, logger: quietLogger)
}

/// Runs `body` with the fake PayPal serving and a harness whose platform has the PayPal plugin.
func withPayPal(_ engine: DatabaseEngine, verification: PayPalConfiguration.WebhookVerification = .offline, maxRetries: Int = 2,
                served: ServedCertificates = ServedCertificates(), extraProviders: [any PaymentProvider] = [],
                _ body: @escaping @Sendable (CheckoutHarness, FakePayPal, PayPalProvider) async throws -> Void) async throws {
    let clock = ManualClock()
    let fake = try FakePayPal(clock: clock)
    try await fake.serving { base in
        let paypal = makePayPal(base: base, fake: fake, clock: clock, verification: verification, maxRetries: maxRetries, served: served)
        try await CheckoutHarness.run(engine, clock: clock, extraProviders: [paypal] + extraProviders) { h in try await body(h, fake, paypal) }
    }
}

extension CheckoutHarness {
    /// Places an order paid with PayPal; answers our order id and PayPal's.
    func placePayPalOrder(quantity: Int = 2) async throws -> (order: String, paypal: String) {
        let reply = try await placeOrder(body: cart(quantity: quantity, provider: "paypal"))
        try #require(reply.status == .created, "\(reply.text)")
        let order = try #require((reply.json["order"] as? [String: Any])?["id"] as? String)
        let link = try #require(reply.string("checkout_url"))
        let url = try #require(URLComponents(string: link))
        return (order, try #require(url.queryItems?.first { $0.name == "token" }?.value))
    }

    /// Follows PayPal's return link (an absolute URL on this platform) as the buyer's browser does.
    func returnFromPayPal(_ link: String) async throws -> APITestClient.Reply {
        let url = try #require(URLComponents(string: link))
        return try await client.get(url.percentEncodedPath + (url.percentEncodedQuery.map { "?\($0)" } ?? ""))
    }

    func deliverPayPal(_ delivery: FakePayPal.Delivery) async throws -> HTTPResponse.Status {
        try await client.client.execute(uri: "/webhooks/paypal", method: .post, headers: delivery.headers, body: delivery.body) { $0.status }
    }

    func status(of order: String) async throws -> String? { try await self.order(order).string("status") }
}

/// The PayPal plugin run through the conformance suite, against the fake PayPal.
struct PayPalFixture: ProviderConformanceFixture {
    let fake: FakePayPal
    let paypal: PayPalProvider
    var provider: any PaymentProvider { paypal }
    let paidEventType = "PAYMENT.CAPTURE.COMPLETED"

    var failureCases: [ProviderFailureCase] {
        let fake = self.fake
        func failing(_ status: Int, _ name: String, _ issue: String, times: Int = 1) -> @Sendable () async -> Void {
            { fake.inject(status, name: name, issue: issue, path: "/v2/checkout/orders", times: times) }
        }
        return [
            ProviderFailureCase("declined", arrange: failing(422, "UNPROCESSABLE_ENTITY", "TRANSACTION_REFUSED"),
                                expected: { if case .declined = $0 { true } else { false } }),
            ProviderFailureCase("rate limited", arrange: failing(429, "RATE_LIMIT_REACHED", "RATE_LIMIT_REACHED", times: 3),
                                expected: { if case .rateLimited = $0 { true } else { false } }),
            ProviderFailureCase("unavailable", arrange: failing(503, "SERVICE_UNAVAILABLE", "SERVICE_UNAVAILABLE", times: 3),
                                expected: { if case .unavailable = $0 { true } else { false } }),
            ProviderFailureCase("refused credentials", arrange: failing(403, "NOT_AUTHORIZED", "PERMISSION_DENIED"),
                                expected: { if case .providerError = $0 { true } else { false } }),
            ProviderFailureCase("invalid", arrange: failing(400, "INVALID_REQUEST", "INVALID_PARAMETER_VALUE"),
                                expected: { if case .invalidRequest = $0 { true } else { false } }),
            ProviderFailureCase("conflict", arrange: failing(409, "RESOURCE_CONFLICT", "PREVIOUS_REQUEST_IN_PROGRESS"),
                                expected: { if case .conflict = $0 { true } else { false } }),
        ]
    }

    func delivery(eventType: String, eventID: String, order: OrderID, amount: Int64, currency: String,
                  at time: Timestamp) throws -> (body: ByteBuffer, headers: HTTPFields) {
        let money = Money(minorUnits: amount, currency: try #require(Currency(code: currency)))
        let value = #"{"currency_code":"\#(money.currency.code)","value":"\#(money.decimalString)"}"#
        let resource = switch eventType {
        case "CHECKOUT.ORDER.APPROVED":
            #"{"id":"PP\#(order.rawValue.suffix(12))","intent":"CAPTURE","status":"APPROVED","purchase_units":[{"reference_id":"\#(order)","custom_id":"\#(order)","amount":\#(value)}]}"#
        case "PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REVERSED":
            #"{"id":"REF-\#(eventID)","status":"COMPLETED","amount":\#(value),"seller_payable_breakdown":{"total_refunded_amount":\#(value)},"links":[{"href":"https://api-m.sandbox.paypal.com/v2/payments/captures/CAP-\#(order)","rel":"up","method":"GET"}]}"#
        default:
            #"{"id":"CAP-\#(order)","status":"\#(eventType == "PAYMENT.CAPTURE.PENDING" ? "PENDING" : eventType.hasSuffix("COMPLETED") ? "COMPLETED" : "DECLINED")","amount":\#(value),"custom_id":"\#(order)","supplementary_data":{"related_ids":{"order_id":"PP\#(order.rawValue.suffix(12))"}}}"#
        }
        let delivery = fake.delivery(eventType, resource: resource, eventID: eventID, at: time)
        return (delivery.body, delivery.headers)
    }
}
