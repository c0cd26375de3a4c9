import Crypto
import Foundation
import HTTPTypes
import PluginKit
import SwiftASN1
import Synchronization
import PlatformTesting
import Testing
import X509
import _CryptoExtras
@testable import PayPal

/// Serves PEMs by URL and counts the fetches.
final class ServedCertificates: PayPalCertificateFetcher {
    private let state = Mutex<(pems: [String: String], fetches: [String])>(([:], []))
    func serve(_ pem: String, at url: String) { state.withLock { $0.pems[url] = pem } }
    var fetches: [String] { state.withLock { $0.fetches } }

    func pem(at url: URL) async throws -> String {
        try state.withLock { state in
            state.fetches.append(url.absoluteString)
            guard let pem = state.pems[url.absoluteString] else { throw URLError(.fileDoesNotExist) }
            return pem
        }
    }
}

@Suite struct PayPalWebhookVerifierTests {
    static let webhookID = "7XY12345AB678901C"
    static let certURL = "https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77"
    static let body = Data(#"{"id":"WH-TEST-1","event_type":"PAYMENT.CAPTURE.COMPLETED","resource":{"id":"CAP-1"}}"#.utf8)
    static let now = Timestamp(rfc3339: "2026-06-01T12:00:00Z")!
    static var nowDate: Date { Date(timeIntervalSince1970: Double(now.milliseconds) / 1000) }

    /// Headers of a delivery signed by `key` over the documented message.
    static func headers(_ key: _RSA.Signing.PrivateKey, body: Data = body, id: String = UUID().uuidString, time: Timestamp = now,
                        webhookID: String = webhookID, crc: String? = nil, certURL: String = certURL) throws -> HTTPFields {
        let message = "\(id)|\(time.rfc3339)|\(webhookID)|\(crc ?? String(PayPalCRC32.checksum(body)))"
        let signature = try key.signature(for: SHA256.hash(data: Data(message.utf8)), padding: .insecurePKCS1v1_5)
        return [
            HTTPField.Name("PAYPAL-TRANSMISSION-ID")!: id, HTTPField.Name("PAYPAL-TRANSMISSION-TIME")!: time.rfc3339,
            HTTPField.Name("PAYPAL-TRANSMISSION-SIG")!: signature.rawRepresentation.base64EncodedString(),
            HTTPField.Name("PAYPAL-CERT-URL")!: certURL, HTTPField.Name("PAYPAL-AUTH-ALGO")!: "SHA256withRSA",
        ]
    }

    struct Setup {
        let ca: TestPayPalCA
        let key: _RSA.Signing.PrivateKey
        let served: ServedCertificates
        let verifier: PayPalWebhookVerifier
    }

    /// One 2048-bit key for the whole suite: making one takes a while.
    static let signingKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)

    static func setup(acceptSimulator: Bool = false, commonName: String = "messageverificationcerts.paypal.com",
                      validUntil: Date? = nil) throws -> Setup {
        let ca = try TestPayPalCA()
        let served = ServedCertificates()
        served.serve(try ca.issue(signingKey, commonName: commonName, from: nowDate - 86_400, until: validUntil ?? nowDate + 86_400 * 30),
                     at: certURL)
        let certificates = PayPalCertificates(fetcher: served, anchors: [ca.certificate])
        return Setup(ca: ca, key: signingKey, served: served,
                     verifier: PayPalWebhookVerifier(webhookID: webhookID, certificates: certificates, acceptSimulator: acceptSimulator))
    }

    @Test func theCRCIsIEEEOverTheRawBytesAsAnUnsignedNumber() {
        #expect(PayPalCRC32.checksum(Data("123456789".utf8)) == 3_421_780_262)
        #expect(PayPalCRC32.checksum(Self.body) == 3_008_196_189)
    }

    @Test func aSignedDeliveryVerifiesAndTheCertificateIsFetchedOnce() async throws {
        let s = try Self.setup()
        try await s.verifier.verify(body: Self.body, headers: try Self.headers(s.key), now: Self.now)
        try await s.verifier.verify(body: Self.body, headers: try Self.headers(s.key), now: Self.now.adding(seconds: 30))
        #expect(s.served.fetches == [Self.certURL])
    }

    @Test func forgedTamperedAndMisdigestedDeliveriesAreRefused() async throws {
        let s = try Self.setup()
        let other = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        var tampered = Self.body
        tampered[tampered.count - 3] = UInt8(ascii: "2")
        let signedCRC = String(Int32(bitPattern: PayPalCRC32.checksum(Self.body)))
        let cases: [(String, Data, HTTPFields)] = [
            ("another key", Self.body, try Self.headers(other)),
            ("a changed body", tampered, try Self.headers(s.key)),
            ("the event id instead of the webhook id", Self.body, try Self.headers(s.key, webhookID: "WH-TEST-1")),
            ("the CRC as a signed number", Self.body, try Self.headers(s.key, crc: signedCRC)),
            ("no headers", Self.body, [:]),
        ]
        for (what, body, headers) in cases {
            await #expect(throws: WebhookRejected.self, "\(what)") { try await s.verifier.verify(body: body, headers: headers, now: Self.now) }
        }
    }

    @Test func certificatesFromElsewhereOrOutOfDateAreRefused() async throws {
        let elsewhere = try Self.setup()
        for url in ["https://evil.example.com/cert.pem", "http://api.paypal.com/v1/notifications/certs/x",
                    "https://api.paypal.com.evil.example/x", "https://user@api.paypal.com/x"] {
            let error = await #expect(throws: WebhookRejected.self, "\(url)") {
                try await elsewhere.verifier.verify(body: Self.body, headers: try Self.headers(elsewhere.key, certURL: url), now: Self.now)
            }
            #expect(error?.description == "the certificate URL is not on a PayPal API host")
        }
        #expect(elsewhere.served.fetches.isEmpty, "a URL off the allowlist is never fetched")

        let expired = try Self.setup(validUntil: Self.nowDate - 60)
        let stale = await #expect(throws: WebhookRejected.self) {
            try await expired.verifier.verify(body: Self.body, headers: try Self.headers(expired.key), now: Self.now)
        }
        #expect(stale?.description.contains("not valid now") == true)
        let notPayPal = try Self.setup(commonName: "webhooks.example.com")
        let foreign = await #expect(throws: WebhookRejected.self) {
            try await notPayPal.verifier.verify(body: Self.body, headers: try Self.headers(notPayPal.key), now: Self.now)
        }
        #expect(foreign?.description == "the signing certificate is not PayPal's")
        // Issued by a CA the platform does not trust.
        let trusted = try TestPayPalCA(), rogue = try TestPayPalCA(name: "Rogue Root")
        let served = ServedCertificates()
        served.serve(try rogue.issue(Self.signingKey, from: Self.nowDate - 86_400, until: Self.nowDate + 86_400), at: Self.certURL)
        let verifier = PayPalWebhookVerifier(webhookID: Self.webhookID,
                                             certificates: PayPalCertificates(fetcher: served, anchors: [trusted.certificate]))
        let untrusted = await #expect(throws: WebhookRejected.self) {
            try await verifier.verify(body: Self.body, headers: try Self.headers(Self.signingKey), now: Self.now)
        }
        #expect(untrusted?.description.contains("does not chain to a trusted PayPal root") == true)
    }

    @Test func staleAndReplayedTransmissionsAreRefused() async throws {
        let s = try Self.setup()
        await #expect(throws: WebhookRejected.self) {
            try await s.verifier.verify(body: Self.body, headers: try Self.headers(s.key, time: Self.now.adding(minutes: -11)), now: Self.now)
        }
        let headers = try Self.headers(s.key, id: "TX-REPLAYED")
        try await s.verifier.verify(body: Self.body, headers: headers, now: Self.now)
        let replay = await #expect(throws: WebhookRejected.self) {
            try await s.verifier.verify(body: Self.body, headers: headers, now: Self.now.adding(seconds: 5))
        }
        #expect(replay?.description == "the transmission was seen before")
    }

    @Test func theSimulatorsWebhookIDIsAcceptedOnlyWhenAllowed() async throws {
        let strict = try Self.setup()
        await #expect(throws: WebhookRejected.self) {
            try await strict.verifier.verify(body: Self.body, headers: try Self.headers(strict.key, webhookID: "WEBHOOK_ID"), now: Self.now)
        }
        let simulator = try Self.setup(acceptSimulator: true)
        try await simulator.verifier.verify(body: Self.body, headers: try Self.headers(simulator.key, webhookID: "WEBHOOK_ID"), now: Self.now)
    }
}

@Suite struct PayPalTrustAnchorTests {
    @Test func aBundleYieldsItsCertificatesAndNothingElse() throws {
        let ca = try TestPayPalCA(), other = try TestPayPalCA(name: "Second Root")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("anchors-\(UUID()).pem")
        defer { try? FileManager.default.removeItem(at: file) }
        let bundle = try ca.certificate.serializeAsPEM().pemString + "\n# a comment\n" + other.certificate.serializeAsPEM().pemString
            + "\n-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
        try bundle.write(to: file, atomically: true, encoding: .utf8)
        #expect(try PayPalCertificates.anchors(fromPEMFile: file.path) == [ca.certificate, other.certificate])
        #expect(throws: ConfigError.self) { try PayPalCertificates.anchors(fromPEMFile: "/nonexistent/roots.pem") }
        try "no certificates here".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { try PayPalCertificates.anchors(fromPEMFile: file.path) }
    }
}
