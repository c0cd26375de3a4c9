import Foundation
import PluginKit
import Synchronization
import SwiftASN1
@_spi(FixedExpiryValidationTime) import X509
import _CryptoExtras

/// Fetches the PEM at a certificate URL (PayPal's `PAYPAL-CERT-URL`). The plugin's is an HTTPS
/// client; tests give one that serves certificates of a test CA.
public protocol PayPalCertificateFetcher: Sendable {
    func pem(at url: URL) async throws -> String
}

/// The signing certificates of PayPal webhooks: fetched only over https from the allowlisted
/// hosts, checked once (chain to a trust anchor, validity at the time of use, a subject under
/// `.paypal.com`), and kept per URL so that a cache hit does no network call.
public final class PayPalCertificates: Sendable {
    /// PayPal's API hosts, live and sandbox: the only places a certificate is fetched from.
    public static let defaultHosts: Set<String> = ["api.paypal.com", "api-m.paypal.com", "api.sandbox.paypal.com", "api-m.sandbox.paypal.com"]

    let fetcher: any PayPalCertificateFetcher
    let hosts: Set<String>
    let anchors: [Certificate]
    let subjectSuffix: String
    /// Checked certificates by URL, with the window in which the whole chain is valid.
    private let cache = Mutex<[String: Checked]>([:])

    struct Checked: Sendable {
        let key: _RSA.Signing.PublicKey
        let validFrom: Date
        let validUntil: Date
    }

    /// - Parameters:
    ///   - anchors: the trust anchors a signing certificate must chain to (DigiCert's roots for PayPal).
    ///   - subjectSuffix: what the signing certificate's common name must end with.
    public init(fetcher: any PayPalCertificateFetcher, hosts: Set<String> = defaultHosts, anchors: [Certificate],
                subjectSuffix: String = ".paypal.com") {
        self.fetcher = fetcher
        self.hosts = hosts
        self.anchors = anchors
        self.subjectSuffix = subjectSuffix
    }

    /// The RSA key of the signing certificate at `urlText`, valid at `time`.
    /// - Throws: `WebhookRejected` for a URL off the allowlist (never fetched), a chain that does not
    ///   reach an anchor, a certificate outside its validity, with another subject or without an RSA key.
    func signingKey(at urlText: String, at time: Timestamp) async throws -> _RSA.Signing.PublicKey {
        guard let url = URL(string: urlText), url.scheme == "https", let host = url.host?.lowercased(), hosts.contains(host),
              url.user == nil, url.port == nil || url.port == 443 else {
            throw WebhookRejected("the certificate URL is not on a PayPal API host")
        }
        let date = Date(timeIntervalSince1970: Double(time.milliseconds) / 1000)
        if let checked = cache.withLock({ $0[urlText] }) {
            guard checked.validFrom <= date, date <= checked.validUntil else { throw WebhookRejected("the signing certificate is not valid now") }
            return checked.key
        }
        let pem = try await fetcher.pem(at: url)
        guard let chain = try? PEMDocument.parseMultiple(pemString: pem).map({ try Certificate(pemDocument: $0) }), let leaf = chain.first else {
            throw WebhookRejected("the certificate at the URL is not a PEM certificate chain")
        }
        var verifier = Verifier(rootCertificates: CertificateStore(anchors)) { RFC5280Policy(fixedExpiryValidationTime: date) }
        let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore(Array(chain.dropFirst())))
        guard case let .validCertificate(path) = result else {
            throw WebhookRejected("the signing certificate does not chain to a trusted PayPal root, or is not valid now")
        }
        let names = leaf.subject.flatMap { $0 }.filter { $0.type == ASN1ObjectIdentifier.RDNAttributeType.commonName }
            .map { String(describing: $0.value) }
        guard names.contains(where: { $0.hasSuffix(subjectSuffix) }) else { throw WebhookRejected("the signing certificate is not PayPal's") }
        guard let key = _RSA.Signing.PublicKey(leaf.publicKey) else { throw WebhookRejected("the signing certificate has no RSA key") }
        let checked = Checked(key: key, validFrom: path.map { $0.notValidBefore }.max() ?? leaf.notValidBefore,
                              validUntil: path.map { $0.notValidAfter }.min() ?? leaf.notValidAfter)
        cache.withLock { $0[urlText] = checked }
        return key
    }
}
