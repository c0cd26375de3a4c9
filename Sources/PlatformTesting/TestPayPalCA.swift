import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// A certificate authority made by a test (or a benchmark), and the PayPal-like webhook signing
/// certificates it issues: the trust anchor PayPal's verifier is given instead of DigiCert's roots.
package struct TestPayPalCA: Sendable {
    let key = P256.Signing.PrivateKey()
    let name: DistinguishedName
    package let certificate: Certificate

    package init(name: String = "Test PayPal Root", now: Date = Date(timeIntervalSince1970: 1_780_000_000)) throws {
        let distinguished = try DistinguishedName { CommonName(name) }
        self.name = distinguished
        certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: now - 86_400 * 365,
            notValidAfter: now + 86_400 * 365 * 5, issuer: distinguished, subject: distinguished, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true))
            },
            issuerPrivateKey: .init(key))
    }

    /// A signing certificate for `rsa`, with PayPal's subject unless told otherwise.
    package func issue(_ rsa: _RSA.Signing.PrivateKey, commonName: String = "messageverificationcerts.paypal.com",
               from: Date, until: Date) throws -> String {
        let leaf = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(rsa.publicKey), notValidBefore: from, notValidAfter: until,
            issuer: name, subject: try DistinguishedName { CommonName(commonName) }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { Critical(BasicConstraints.notCertificateAuthority) },
            issuerPrivateKey: .init(key))
        return try leaf.serializeAsPEM().pemString
    }
}
