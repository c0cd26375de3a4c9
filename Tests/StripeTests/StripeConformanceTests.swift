import Foundation
import HTTPTypes
import Hummingbird
import Platform
import PlatformTesting
@testable import Stripe
import Testing

/// The Stripe plugin run through the conformance suite, against the fake Stripe.
struct StripeFixture: ProviderConformanceFixture {
    let fake: FakeStripe
    let stripe: StripeProvider
    var provider: any PaymentProvider { stripe }
    let paidEventType = "checkout.session.completed"

    init(fake: FakeStripe, base: String) {
        self.fake = fake
        var configuration = StripeConfiguration(secretKey: FakeStripe.secretKey, webhookSecrets: [FakeStripe.webhookSecret])
        configuration.apiBase = base
        configuration.maxRetries = 1
        configuration.retryBaseDelay = .milliseconds(1)
        stripe = StripeProvider(configuration: configuration, logger: quietLogger)
    }

    var failureCases: [ProviderFailureCase] {
        let fake = self.fake
        // As many failures as the plugin will make attempts: retried statuses twice (one retry), others once.
        func failing(_ status: Int, _ type: String, saved: Bool = false) -> @Sendable () async -> Void {
            let times = StripeClient.isRetryable(status: status) && !saved ? 2 : 1
            return { fake.inject(status, type: type, message: "injected \(status)", saved: saved, times: times) }
        }
        return [
            ProviderFailureCase("card declined", arrange: failing(402, "card_error"), expected: { if case .declined = $0 { true } else { false } }),
            ProviderFailureCase("rate limited", arrange: failing(429, "invalid_request_error"), expected: { if case .rateLimited = $0 { true } else { false } }),
            ProviderFailureCase("unavailable", arrange: failing(503, "api_error"), expected: { if case .unavailable = $0 { true } else { false } }),
            ProviderFailureCase("api error", arrange: failing(500, "api_error", saved: true), expected: { if case .providerError = $0 { true } else { false } }),
            ProviderFailureCase("invalid", arrange: failing(400, "invalid_request_error"), expected: { if case .invalidRequest = $0 { true } else { false } }),
            ProviderFailureCase("conflict", arrange: failing(409, "invalid_request_error"), expected: { if case .conflict = $0 { true } else { false } }),
        ]
    }

    func delivery(eventType: String, eventID: String, order: OrderID, amount: Int64, currency: String,
                  at time: Timestamp) throws -> (body: ByteBuffer, headers: HTTPFields) {
        let lower = currency.lowercased()
        let object = switch eventType {
        case "charge.refunded":
            #"{"id":"ch_1","object":"charge","amount_refunded":\#(amount),"currency":"\#(lower)","payment_intent":"pi_\#(order)"}"#
        case "charge.dispute.created", "charge.dispute.closed":
            #"{"id":"dp_1","object":"dispute","amount":\#(amount),"currency":"\#(lower)","charge":"ch_1","payment_intent":"pi_\#(order)","reason":"fraudulent","status":"lost"}"#
        default:
            #"{"id":"cs_\#(order)","object":"checkout.session","payment_status":"paid","amount_total":\#(amount),"currency":"\#(lower)","payment_intent":"pi_\#(order)","client_reference_id":"\#(order)","metadata":{"order_id":"\#(order)"}}"#
        }
        let created = time.milliseconds / 1000
        let payload = #"{"id":"\#(eventID)","object":"event","created":\#(created),"type":"\#(eventType)","data":{"object":\#(object)}}"#
        let header = TimestampedSignature.header(body: Data(payload.utf8), secret: FakeStripe.webhookSecret, timestamp: created)
        return (ByteBuffer(string: payload), [HTTPField.Name("Stripe-Signature")!: header])
    }
}

@Suite struct StripeConformanceTests {
    func run(_ body: @escaping @Sendable (StripeFixture, Timestamp) async throws -> Void) async throws {
        let clock = ManualClock()
        let fake = FakeStripe(clock: clock)
        try await fake.serving { base in try await body(StripeFixture(fake: fake, base: base), clock.now()) }
    }

    @Test func rejectsTamperedAndStale() async throws { try await run { try await ProviderConformance.rejectsTamperedAndStale($0, now: $1) } }
    @Test func handlesEveryDeclaredEventType() async throws { try await run { try await ProviderConformance.handlesEveryDeclaredEventType($0, now: $1) } }
    @Test func createsCheckoutsIdempotently() async throws { try await run { try await ProviderConformance.createsCheckoutsIdempotently($0, now: $1) } }
    @Test func mapsEveryFailure() async throws { try await run { try await ProviderConformance.mapsEveryFailure($0, now: $1) } }

    @Test(arguments: TestEngines.all)
    func duplicateDeliveriesAreHarmless(engine: DatabaseEngine) async throws {
        let fake = FakeStripe(clock: ManualClock())
        try await fake.serving { base in
            try await ProviderConformance.duplicateDeliveriesAreHarmless(StripeFixture(fake: fake, base: base), engine: engine)
        }
    }
}
