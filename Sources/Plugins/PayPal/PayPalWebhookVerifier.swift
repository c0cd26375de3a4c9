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

    /// What PayPal sends with a webhook about its signature.
    public struct Transmission: Sendable, Hashable {
        public let id: String
        /// As sent (RFC 3339): it is signed as written.
        public let time: String
        /// Base64.
        public let signature: String
        public let certificateURL: String
        public let algorithm: String
    }

    /// - Throws: `WebhookRejected` saying which check failed; nothing is trusted before all pass.
    public func verify(body: some DataProtocol, headers: HTTPFields, now: Timestamp) async throws {
        let transmission = try fresh(headers, now: now)
        guard let signature = Data(base64Encoded: transmission.signature) else { throw WebhookRejected("PAYPAL-TRANSMISSION-SIG is not base64") }
        let key = try await certificates.signingKey(at: transmission.certificateURL, at: now)
        let crc = PayPalCRC32.checksum(body)
        var candidates = [webhookID]
        if acceptSimulator { candidates.append(Self.simulatorWebhookID) }
        let valid = candidates.contains { webhook in
            let message = Data("\(transmission.id)|\(transmission.time)|\(webhook)|\(crc)".utf8)
            return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA256.hash(data: message),
                                        padding: .insecurePKCS1v1_5)
        }
        guard valid else { throw WebhookRejected("no signature matches") }
        try remember(transmission, now: now)
    }

    /// As `verify(body:headers:now:)`, with the signature judged by `signatureIsValid` (PayPal's
    /// verify-webhook-signature API) instead of here; the age and replay checks stay.
    /// - Throws: `WebhookRejected`, or what `signatureIsValid` throws.
    public func verify(headers: HTTPFields, now: Timestamp, signatureIsValid: (Transmission) async throws -> Bool) async throws {
        let transmission = try fresh(headers, now: now)
        guard try await signatureIsValid(transmission) else { throw WebhookRejected("PayPal did not confirm the signature") }
        try remember(transmission, now: now)
    }

    /// The transmission headers, when present and not older (or earlier) than the tolerance.
    func fresh(_ headers: HTTPFields, now: Timestamp) throws -> Transmission {
        guard let id = headers[Self.transmissionID], !id.isEmpty, let time = headers[Self.transmissionTime],
              let signature = headers[Self.transmissionSignature], let certificateURL = headers[Self.certificateURL] else {
            throw WebhookRejected("missing PayPal transmission headers")
        }
        let algorithm = headers[Self.algorithm] ?? "SHA256withRSA"
        guard algorithm == "SHA256withRSA" else { throw WebhookRejected("unsupported PAYPAL-AUTH-ALGO \(algorithm)") }
        guard let sent = Timestamp(rfc3339: time) else { throw WebhookRejected("PAYPAL-TRANSMISSION-TIME is not a time") }
        guard abs(now.milliseconds - sent.milliseconds) <= tolerance * 1000 else { throw WebhookRejected("the transmission is too old") }
        return Transmission(id: id, time: time, signature: signature, certificateURL: certificateURL, algorithm: algorithm)
    }

    private func remember(_ transmission: Transmission, now: Timestamp) throws {
        guard seen.insert(transmission.id, at: now, keepFor: tolerance * 2000) else { throw WebhookRejected("the transmission was seen before") }
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
