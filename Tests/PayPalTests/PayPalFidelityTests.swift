import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing
import X509
@testable import PayPal

/// The official paypal-server-sdk (in the test virtualenv) against the fake PayPal, and a webhook
/// signed in Python with `cryptography`, independently of this code, verified by the plugin.
@Suite struct PayPalFidelityTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/paypal_fidelity.py").path

    @Test func theSDKAndPythonsSignatureAgreeWithThePlugin() async throws {
        let fake = try FakePayPal(clock: SystemClock())
        try await fake.serving { base in
            guard let (status, data) = try await TestPython.run([Self.script, base, FakePayPal.clientID, FakePayPal.clientSecret,
                                                                 FakePayPal.webhookID]) else { return }
            #expect(status == 0)
            let result = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(String(decoding: data, as: UTF8.self))")
            #expect(result["created_status"] as? Int == 201 && result["replayed_status"] as? Int == 200)
            #expect(result["replayed_id"] as? String == result["id"] as? String, "the same PayPal-Request-Id replays the order")
            #expect(result["status"] as? String == "CREATED")
            #expect((result["approve"] as? String)?.contains("token=") == true)
            #expect(result["capture_status"] as? String == "COMPLETED" && result["capture_value"] as? String == "12.50")
            #expect(result["capture_custom_id"] as? String == "ord_python")
            #expect(result["second_capture"] as? String == "ORDER_ALREADY_CAPTURED")
            #expect(fake.captureCount == 1)

            // Python's delivery: its CA is the anchor, its leaf is served at the certificate URL.
            let webhook = try #require(result["webhook"] as? [String: String])
            let url = "https://api-m.paypal.com/v1/notifications/certs/CERT-python"
            let served = ServedCertificates()
            served.serve(try #require(webhook["leaf"]), at: url)
            let anchor = try Certificate(pemEncoded: try #require(webhook["ca"]))
            let verifier = PayPalWebhookVerifier(webhookID: FakePayPal.webhookID,
                                                 certificates: PayPalCertificates(fetcher: served, anchors: [anchor]))
            let body = Data(try #require(webhook["body"]).utf8)
            func headers(_ id: String) throws -> HTTPFields {
                [HTTPField.Name("PAYPAL-TRANSMISSION-ID")!: id, HTTPField.Name("PAYPAL-TRANSMISSION-TIME")!: try #require(webhook["transmission_time"]),
                 HTTPField.Name("PAYPAL-TRANSMISSION-SIG")!: try #require(webhook["signature"]), HTTPField.Name("PAYPAL-CERT-URL")!: url,
                 HTTPField.Name("PAYPAL-AUTH-ALGO")!: "SHA256withRSA"]
            }
            let id = try #require(webhook["transmission_id"])
            let now = SystemClock().now()
            var changed = body
            changed[changed.count - 5] ^= 0x01
            await #expect(throws: WebhookRejected.self, "one byte changed") { try await verifier.verify(body: changed, headers: try headers(id), now: now) }
            try await verifier.verify(body: body, headers: try headers(id), now: now)
        }
    }
}
