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

    func verify(_ header: String, secrets: [String], now: Timestamp = now) async throws {
        _ = try await provider(secrets: secrets).verifyWebhook(body: ByteBuffer(string: Self.body),
                                                        headers: [HTTPField.Name("Stripe-Signature")!: header], now: now)
    }

    @Test func rotationAndDecoys() async throws {
        let old = "43df4a4108717d945279d77d278f28ea74f0538dd3ff3960b05a42ec0de5f289"
        let new = "2ef528302c2952e740886fc9092b0db7d80d24ee7e7c64d6e07ee588b90b5458"
        try await verify("t=1700000000,v1=\(old),v1=\(new),v0=deadbeef", secrets: [Self.newSecret])
        try await verify("t=1700000000,v1=\(old)", secrets: [Self.newSecret, Self.oldSecret])
        await #expect(throws: WebhookRejected.self, "only v1 counts") { try await verify("t=1700000000,v0=\(new)", secrets: [Self.newSecret]) }
        await #expect(throws: WebhookRejected.self) { try await verify("t=1700000000,v1=\(old)", secrets: [Self.newSecret]) }
        await #expect(throws: WebhookRejected.self, "301 s late") {
            try await verify("t=1700000000,v1=\(new)", secrets: [Self.newSecret], now: Timestamp(seconds: 1_700_000_301))
        }
        try await verify("t=1700000000,v1=\(new)", secrets: [Self.newSecret], now: Timestamp(seconds: 1_700_000_300))
        await #expect(throws: WebhookRejected.self) { try await verify("v1=\(new)", secrets: [Self.newSecret]) }
        await #expect(throws: WebhookRejected.self) { try await verify("t=1700000000,v1=zz", secrets: [Self.newSecret]) }
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
        func fromEnvironment(_ environment: [String: String]) -> PluginSetup<StripeConfiguration> {
            StripeConfiguration.from(Settings(environment: environment))
        }
        #expect(fromEnvironment([:]).enabled == nil)
        #expect(fromEnvironment(["STRIPE_SECRET_KEY": "sk"]).disabledReason == "STRIPE_WEBHOOK_SECRET is not set")
        let configuration = fromEnvironment([
            "STRIPE_SECRET_KEY": "sk_test_1", "STRIPE_WEBHOOK_SECRET": "whsec_a, whsec_b", "STRIPE_API_BASE": "http://127.0.0.1:9/",
        ]).enabled
        #expect(configuration?.webhookSecrets == ["whsec_a", "whsec_b"])
        #expect(configuration?.apiBase == "http://127.0.0.1:9")
    }
}
