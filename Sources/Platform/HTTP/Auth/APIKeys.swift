import Crypto
import Foundation
import PluginKit
import SQLKit

/// A key as it is handed out: the secret appears here once and is never stored.
public struct IssuedAPIKey: Sendable, Hashable {
    public let id: APIKeyID
    public let secret: String
    public let prefix: String
    public let scope: APIKeyScope
}

/// API keys are `plk_` and 40 random Crockford base32 characters (200 bits). The database keeps the
/// SHA-256 of the whole key and its first 12 characters, to recognise it in lists.
public enum APIKeys {
    static let marker = "plk_"
    static let visiblePrefixLength = 12

    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexString
    }

    /// 40 random Crockford characters (200 bits) after the marker.
    static func generateSecret(marker: String = APIKeys.marker) -> String {
        var rng = SystemRandomNumberGenerator()
        let body = (0..<40).map { _ in Crockford.alphabet[Int(rng.next() % 32)] }
        return marker + String(decoding: body, as: UTF8.self)
    }

    public static func issue(scope: APIKeyScope, label: String, on sql: any SQLDatabase, at time: Timestamp) async throws -> IssuedAPIKey {
        let secret = generateSecret()
        let key = IssuedAPIKey(id: .generate(at: time), secret: secret, prefix: String(secret.prefix(visiblePrefixLength)), scope: scope)
        try await APIKeyRepository(sql).insert(id: key.id, scope: scope, label: label, prefix: key.prefix, secretHash: hash(secret), at: time)
        return key
    }
}
