import Crypto
import Foundation
import HTTPTypes
import PluginKit
import Synchronization
import _CryptoExtras

/// Verifies PayPal webhooks offline, as PayPal's docs describe: the signed message is
/// `transmission_id|transmission_time|webhook_id|crc32(raw body)` (the CRC as an unsigned decimal,
/// the webhook id ours, not the event's), signed RSA PKCS#1 v1.5 with SHA-256 (`SHA256withRSA`) by
/// the certificate at `PAYPAL-CERT-URL` (see `PayPalCertificates`). Transmissions older than the
/// tolerance, and a transmission id seen within it, are refused.
public struct PayPalWebhookVerifier: Sendable {
    static let transmissionID = HTTPField.Name("PAYPAL-TRANSMISSION-ID")!
    static let transmissionTime = HTTPField.Name("PAYPAL-TRANSMISSION-TIME")!
    static let transmissionSignature = HTTPField.Name("PAYPAL-TRANSMISSION-SIG")!
    static let certificateURL = HTTPField.Name("PAYPAL-CERT-URL")!
    static let algorithm = HTTPField.Name("PAYPAL-AUTH-ALGO")!

    /// The simulator signs with this webhook id.
    public static let simulatorWebhookID = "WEBHOOK_ID"

    let webhookID: String
    let certificates: PayPalCertificates
    /// Seconds a transmission may be old (or early: clocks differ) when it arrives.
    let tolerance: Int64
    let acceptSimulator: Bool
    private let seen: SeenTransmissions

    public init(webhookID: String, certificates: PayPalCertificates, tolerance: Int64 = 600, acceptSimulator: Bool = false) {
        self.webhookID = webhookID
        self.certificates = certificates
        self.tolerance = tolerance
        self.acceptSimulator = acceptSimulator
        self.seen = SeenTransmissions()
    }

    /// The IEEE CRC-32 of a body as PayPal signs it (for tools that sign test deliveries).
    public static func crc32(_ body: some DataProtocol) -> UInt32 { PayPalCRC32.checksum(body) }

    /// - Throws: `WebhookRejected` saying which check failed; nothing is trusted before all pass.
    public func verify(body: some DataProtocol, headers: HTTPFields, now: Timestamp) async throws {
        guard let id = headers[Self.transmissionID], !id.isEmpty, let timeText = headers[Self.transmissionTime],
              let signatureText = headers[Self.transmissionSignature], let certificateURL = headers[Self.certificateURL] else {
            throw WebhookRejected("missing PayPal transmission headers")
        }
        if let algorithm = headers[Self.algorithm], algorithm != "SHA256withRSA" {
            throw WebhookRejected("unsupported PAYPAL-AUTH-ALGO \(algorithm)")
        }
        guard let time = Timestamp(rfc3339: timeText) else { throw WebhookRejected("PAYPAL-TRANSMISSION-TIME is not a time") }
        guard abs(now.milliseconds - time.milliseconds) <= tolerance * 1000 else { throw WebhookRejected("the transmission is too old") }
        guard let signature = Data(base64Encoded: signatureText) else { throw WebhookRejected("PAYPAL-TRANSMISSION-SIG is not base64") }
        let key = try await certificates.signingKey(at: certificateURL, at: now)
        let crc = PayPalCRC32.checksum(body)
        var candidates = [webhookID]
        if acceptSimulator { candidates.append(Self.simulatorWebhookID) }
        let valid = candidates.contains { webhook in
            let message = Data("\(id)|\(timeText)|\(webhook)|\(crc)".utf8)
            return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA256.hash(data: message),
                                        padding: .insecurePKCS1v1_5)
        }
        guard valid else { throw WebhookRejected("no signature matches") }
        guard seen.insert(id, at: now, keepFor: tolerance * 2000) else { throw WebhookRejected("the transmission was seen before") }
    }
}

/// Transmission ids verified lately, kept as long as a transmission with them could still pass the
/// time check, so that a captured delivery cannot be played again.
final class SeenTransmissions: Sendable {
    private let state = Mutex<[String: Int64]>([:])

    /// False when `id` was inserted before and has not expired.
    func insert(_ id: String, at now: Timestamp, keepFor milliseconds: Int64) -> Bool {
        state.withLock { seen in
            if seen.count > 10_000 { seen = seen.filter { $0.value > now.milliseconds } }
            if let until = seen[id], until > now.milliseconds { return false }
            seen[id] = now.milliseconds + milliseconds
            return true
        }
    }
}
