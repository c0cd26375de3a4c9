import Foundation
import HTTPTypes
import Hummingbird
import Platform
@testable import Stripe
import Testing

/// The PROVIDERS.md test vectors, checked with stripe-python's verifier when they were written.
@Suite struct StripeSignatureTests {
    static let body = #"{"id":"evt_test_123","object":"event","type":"checkout.session.completed"}"#
    static let newSecret = "whsec_test_secret_0123456789abcdef"
    static let oldSecret = "whsec_old_secret"
    static let now = Timestamp(seconds: 1_700_000_000)

    @Test func vectors() {
        #expect(Data(Self.body.utf8).count == 74)
        #expect(TimestampedSignature.sign(body: Data(Self.body.utf8), secret: Self.newSecret, timestamp: 1_700_000_000)
                == "2ef528302c2952e740886fc9092b0db7d80d24ee7e7c64d6e07ee588b90b5458")
        #expect(TimestampedSignature.sign(body: Data(Self.body.utf8), secret: Self.oldSecret, timestamp: 1_700_000_000)
                == "43df4a4108717d945279d77d278f28ea74f0538dd3ff3960b05a42ec0de5f289")
    }

    func provider(secrets: [String]) -> StripeProvider {
        StripeProvider(configuration: StripeConfiguration(secretKey: "sk_test_x", webhookSecrets: secrets))
    }

    func verify(_ header: String, secrets: [String], now: Timestamp = now) throws {
        _ = try provider(secrets: secrets).verifyWebhook(body: ByteBuffer(string: Self.body),
                                                        headers: [HTTPField.Name("Stripe-Signature")!: header], now: now)
    }

    @Test func rotationAndDecoys() throws {
        let old = "43df4a4108717d945279d77d278f28ea74f0538dd3ff3960b05a42ec0de5f289"
        let new = "2ef528302c2952e740886fc9092b0db7d80d24ee7e7c64d6e07ee588b90b5458"
        try verify("t=1700000000,v1=\(old),v1=\(new),v0=deadbeef", secrets: [Self.newSecret])
        try verify("t=1700000000,v1=\(old)", secrets: [Self.newSecret, Self.oldSecret])
        #expect(throws: WebhookRejected.self, "only v1 counts") { try verify("t=1700000000,v0=\(new)", secrets: [Self.newSecret]) }
        #expect(throws: WebhookRejected.self) { try verify("t=1700000000,v1=\(old)", secrets: [Self.newSecret]) }
        #expect(throws: WebhookRejected.self, "301 s late") {
            try verify("t=1700000000,v1=\(new)", secrets: [Self.newSecret], now: Timestamp(seconds: 1_700_000_301))
        }
        try verify("t=1700000000,v1=\(new)", secrets: [Self.newSecret], now: Timestamp(seconds: 1_700_000_300))
        #expect(throws: WebhookRejected.self) { try verify("v1=\(new)", secrets: [Self.newSecret]) }
        #expect(throws: WebhookRejected.self) { try verify("t=1700000000,v1=zz", secrets: [Self.newSecret]) }
    }

    @Test func formEncodingMatchesStripe() {
        var form = FormParameters()
        form.add("line_items[0][price_data][currency]", "eur")
        form.add("line_items[0][price_data][unit_amount]", Int64(2000))
        form.add("line_items[0][price_data][product_data][name]", "GA & VIP")
        form.add("line_items[0][quantity]", Int64(2))
        form.add("skipped", nil as String?)
        #expect(form.encoded == "line_items%5B0%5D%5Bprice_data%5D%5Bcurrency%5D=eur&line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=2000&line_items%5B0%5D%5Bprice_data%5D%5Bproduct_data%5D%5Bname%5D=GA%20%26%20VIP&line_items%5B0%5D%5Bquantity%5D=2")
        #expect(FormParameters.decode(form.encoded).map { $0.1 } == ["eur", "2000", "GA & VIP", "2"])
    }

    @Test func configurationFromTheEnvironment() {
        #expect(StripeConfiguration.fromEnvironment([:]).0 == nil)
        #expect(StripeConfiguration.fromEnvironment(["STRIPE_SECRET_KEY": "sk"]).1 == "STRIPE_WEBHOOK_SECRET is not set")
        let (configuration, _) = StripeConfiguration.fromEnvironment([
            "STRIPE_SECRET_KEY": "sk_test_1", "STRIPE_WEBHOOK_SECRET": "whsec_a, whsec_b", "STRIPE_API_BASE": "http://127.0.0.1:9/",
        ])
        #expect(configuration?.webhookSecrets == ["whsec_a", "whsec_b"])
        #expect(configuration?.apiBase == "http://127.0.0.1:9")
    }
}
