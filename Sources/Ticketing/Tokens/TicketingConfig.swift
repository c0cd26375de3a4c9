import Crypto
import Foundation
import Platform

/// Ticketing settings from the environment (see the README's configuration table).
package struct TicketingConfig: Sendable {
    /// TICKET_SIGNING_ALG: EdDSA (default), ES256, RS256 or HS256.
    package var algorithm: TokenAlgorithm = .eddsa
    /// TICKET_SIGNING_KEY: a private key to sign with instead of generated, stored ones.
    package var signingKey: String?
    /// TICKET_KEY_SECRET: seals the stored private keys. Without it, a secret is generated into
    /// `keySecretFile` on first start.
    package var keySecret: String?
    package var keySecretFile = "./data/ticket-key.secret"
    /// QR_MODULE_PIXELS: pixels per QR module in served PNGs (a `scale` query overrides it).
    package var qrModulePixels = 4
    /// CHECKIN_RATE_LIMIT: scans a minute per device key.
    package var checkinRateLimit = 600
    /// Tokens stay valid this long after the event ends (or starts, when it has no end).
    package var validAfterEndSeconds: Int64 = 86_400
    /// The platform's BASE_URL, for the QR links in tickets that webhooks carry.
    package var baseURL = "http://127.0.0.1:8080"

    package init() {}

    package init(environment: [String: String]) throws {
        try self.init(Settings(environment: environment))
    }

    /// - Throws: `TicketingConfigurationError` or `ConfigError` naming the setting that cannot be used.
    package init(_ settings: Settings) throws {
        if let text = settings.string("TICKET_SIGNING_ALG") {
            guard let algorithm = TokenAlgorithm.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
                throw TicketingConfigurationError("TICKET_SIGNING_ALG must be one of EdDSA, ES256, RS256, HS256")
            }
            self.algorithm = algorithm
        }
        signingKey = settings.string("TICKET_SIGNING_KEY", secret: true)
        keySecret = settings.string("TICKET_KEY_SECRET", secret: true)
        if let secret = keySecret, secret.utf8.count < 16 { throw TicketingConfigurationError("TICKET_KEY_SECRET must be at least 16 characters") }
        if let path = settings.string("TICKET_KEY_FILE") { keySecretFile = path }
        qrModulePixels = try settings.integer("QR_MODULE_PIXELS", default: qrModulePixels, in: 1...32, "an integer from 1 to 32")
        checkinRateLimit = try settings.integer("CHECKIN_RATE_LIMIT", default: checkinRateLimit, in: 1...1_000_000,
                                                "an integer from 1 to 1000000")
    }

    /// The sealing secret: TICKET_KEY_SECRET, else the key file, created (mode 0600) when missing.
    func resolvedKeySecret() throws -> String {
        if let keySecret { return keySecret }
        let manager = FileManager.default
        if let data = manager.contents(atPath: keySecretFile), let text = String(data: data, encoding: .utf8),
           !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let directory = (keySecretFile as NSString).deletingLastPathComponent
        if !directory.isEmpty { try manager.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
        guard manager.createFile(atPath: keySecretFile, contents: Data((secret + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw TicketingConfigurationError("cannot write \(keySecretFile); set TICKET_KEY_SECRET")
        }
        return secret
    }
}

extension TicketingConfig: SecretHolding {
    package var publicFields: KeyValuePairs<String, Any> { ["algorithm": algorithm, "keySecretFile": keySecretFile] }
}
