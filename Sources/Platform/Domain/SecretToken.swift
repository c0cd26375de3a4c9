import Crypto
import Foundation
import PluginKit

/// Secrets handed to people (API keys, order access tokens, sign-in links, sessions): a marker and
/// 40 random Crockford base32 characters (200 bits). Only their SHA-256 is stored.
package enum SecretToken {
    package static func make(marker: String) -> String {
        var rng = SystemRandomNumberGenerator()
        let body = (0..<40).map { _ in Crockford.alphabet[Int(rng.next() % 32)] }
        return marker + String(decoding: body, as: UTF8.self)
    }

    /// The lowercase hex SHA-256 the database keeps instead of the secret.
    package static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexString
    }
}
