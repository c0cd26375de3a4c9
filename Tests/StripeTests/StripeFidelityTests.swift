import Foundation
import Platform
import PlatformTesting
@testable import Stripe
import Testing

/// The official stripe-python SDK (in the test virtualenv) against our fake Stripe: it must be able
/// to create a Checkout Session there, and its verifier must accept every webhook the fake signs.
@Suite struct StripeFidelityTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/stripe_fidelity.py").path

    @Test func stripePythonAgreesWithTheFake() async throws {
        let fake = FakeStripe(clock: ManualClock())
        try await fake.serving { base in
            // One signed event of every type the plugin handles.
            let objects = [
                "checkout.session.completed": #"{"id":"cs_1","object":"checkout.session","payment_status":"paid"}"#,
                "checkout.session.async_payment_succeeded": #"{"id":"cs_1","object":"checkout.session","payment_status":"paid"}"#,
                "checkout.session.async_payment_failed": #"{"id":"cs_1","object":"checkout.session","payment_status":"unpaid"}"#,
                "checkout.session.expired": #"{"id":"cs_2","object":"checkout.session","status":"expired"}"#,
                "charge.refunded": #"{"id":"ch_1","object":"charge","amount_refunded":100,"currency":"eur"}"#,
                "charge.dispute.created": #"{"id":"dp_1","object":"dispute","amount":100,"currency":"eur","charge":"ch_1","reason":"fraudulent","status":"needs_response"}"#,
                "charge.dispute.closed": #"{"id":"dp_1","object":"dispute","amount":100,"currency":"eur","charge":"ch_1","reason":"fraudulent","status":"lost"}"#,
            ]
            #expect(Set(objects.keys) == Set(StripeWebhooks.handlers.keys))
            let events = objects.keys.sorted().map { fake.event(type: $0, object: objects[$0]!) }
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("stripe-events-\(UUID().uuidString).json")
            defer { try? FileManager.default.removeItem(at: file) }
            let list = events.map { ["payload": $0.payload, "header": $0.header, "secret": FakeStripe.webhookSecret] }
            try JSONSerialization.data(withJSONObject: list).write(to: file)

            guard let (status, data) = try await TestPython.run([Self.script, base, FakeStripe.secretKey, file.path]) else { return }
            #expect(status == 0)
            let result = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(String(decoding: data, as: UTF8.self))")
            #expect((result["id"] as? String)?.hasPrefix("cs_test_") == true)
            #expect(result["replayed_id"] as? String == result["id"] as? String, "the same key replays the same session")
            #expect(result["amount_total"] as? Int == 4_000)
            #expect(result["conflict"] as? String == "IdempotencyError")
            #expect(result["verified"] as? Int == events.count)
            #expect(result["tampered"] as? String == "rejected")
            let sent = Dictionary(try #require(fake.requests.first { $0.path == "/v1/checkout/sessions" }).form, uniquingKeysWith: { $1 })
            #expect(sent["line_items[0][price_data][product_data][name]"] == "GA")
            #expect(sent["metadata[order_id]"] == "ord_python")

            // The plugin's transfer for the same payout is the same request byte for byte: the
            // fake replays Python's answer for the key instead of refusing other parameters.
            var configuration = StripeConfiguration(secretKey: FakeStripe.secretKey, webhookSecrets: [FakeStripe.webhookSecret])
            configuration.apiBase = base
            let stripe = StripeProvider(configuration: configuration, logger: quietLogger)
            let answer = try await stripe.send(payouts: [PayoutInstruction(payoutID: "po_python", account: "acct_1Nv0FGQ9RKHgCVdK",
                                                                           amount: Money(minorUnits: 4_750, currency: .eur), description: "Payout po_python", batchID: "batch_python")])
            let transfer = try #require(result["transfer"] as? String)
            #expect(answer["po_python"] == .accepted(reference: transfer, settled: true))
        }
    }
}
