import Crypto
import Foundation
import PluginKit
import SQLKit

/// A key as it is handed out: the secret appears here once and is never stored.
package struct IssuedAPIKey: Sendable, Hashable {
    package let id: APIKeyID
    package let secret: String
    package let prefix: String
    package let scope: APIKeyScope
}

/// API keys are `plk_` and 40 random Crockford base32 characters (200 bits). The database keeps the
/// SHA-256 of the whole key and its first 12 characters, to recognise it in lists.
package enum APIKeys {
    static let marker = "plk_"
    static let visiblePrefixLength = 12

    package static func issue(scope: APIKeyScope, label: String, on sql: any SQLDatabase, at time: Timestamp) async throws -> IssuedAPIKey {
        let secret = SecretToken.make(marker: marker)
        let key = IssuedAPIKey(id: .generate(at: time), secret: secret, prefix: String(secret.prefix(visiblePrefixLength)), scope: scope)
        try await APIKeyRepository(sql).insert(id: key.id, scope: scope, label: label, prefix: key.prefix, secretHash: SecretToken.hash(secret), at: time)
        return key
    }
}
