import ArgumentParser
import Crypto
import Foundation
import HTTPTypes
import PayPal
import PlatformTesting
import PluginKit
import _CryptoExtras

/// Serves one PEM for every URL (the bench's one certificate).
private struct OneCertificate: PayPalCertificateFetcher {
    let pem: String
    func pem(at url: URL) async throws -> String { pem }
}

struct PayPalVerifyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paypal-verify",
        abstract: "Offline PayPal webhook verifications (CRC-32, SHA256withRSA, certificate cache warm) on one task.")

    @Option(help: "Distinct signed deliveries (each transmission id verifies once).") var count = 5_000

    func run() async throws {
        let now = Timestamp(milliseconds: 1_780_000_000_000)
        let date = Date(timeIntervalSince1970: 1_780_000_000)
        let ca = try TestPayPalCA(now: date)
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let pem = try ca.issue(key, from: date - 86_400, until: date + 86_400)
        let certificates = PayPalCertificates(fetcher: OneCertificate(pem: pem), anchors: [ca.certificate])
        let verifier = PayPalWebhookVerifier(webhookID: "BENCH-WEBHOOK", certificates: certificates, tolerance: 86_400)
        let body = Data(#"{"id":"WH-BENCH","event_type":"PAYMENT.CAPTURE.COMPLETED","resource":{"id":"CAP-1","amount":{"value":"25.00","currency_code":"EUR"}}}"#.utf8)
        let deliveries: [HTTPFields] = try (0..<count).map { index in
            let id = "TX-\(index)"
            let message = "\(id)|\(now.rfc3339)|BENCH-WEBHOOK|\(PayPalWebhookVerifier.crc32(body))"
            let signature = try key.signature(for: SHA256.hash(data: Data(message.utf8)), padding: .insecurePKCS1v1_5)
            return [
                HTTPField.Name("PAYPAL-TRANSMISSION-ID")!: id, HTTPField.Name("PAYPAL-TRANSMISSION-TIME")!: now.rfc3339,
                HTTPField.Name("PAYPAL-TRANSMISSION-SIG")!: signature.rawRepresentation.base64EncodedString(),
                HTTPField.Name("PAYPAL-CERT-URL")!: "https://api.paypal.com/v1/notifications/certs/CERT-BENCH",
                HTTPField.Name("PAYPAL-AUTH-ALGO")!: "SHA256withRSA",
            ]
        }
        // The first verification fetches and checks the certificate; the figure is for a warm cache.
        try await verifier.verify(body: body, headers: deliveries[0], now: now)
        let clock = ContinuousClock()
        let start = clock.now
        for headers in deliveries.dropFirst() { try await verifier.verify(body: body, headers: headers, now: now) }
        let elapsed = clock.now - start
        print("""
            paypal-verify: \(count - 1) signed deliveries (RSA 2048, SHA256withRSA) of \(body.count) bytes, certificate cached
              \(rate(count - 1, elapsed)) verifications/s on one task
            """)
    }
}
