import Crypto
import Foundation

/// Seals stored private keys with AES-256-GCM under a key derived from a secret outside the
/// database, so a copy of the database alone cannot sign tickets.
struct KeySealer: Sendable {
    private let key: SymmetricKey
    private static let marker = "v1."

    init(secret: String) {
        key = SymmetricKey(data: SHA256.hash(data: Data(("ticket-keys:" + secret).utf8)))
    }

    func seal(_ plaintext: Data) throws -> String {
        guard let combined = try AES.GCM.seal(plaintext, using: key).combined else {
            throw TicketingConfigurationError("AES-GCM produced no sealed box")
        }
        return Self.marker + combined.base64EncodedString()
    }

    func open(_ sealed: String) throws -> Data {
        guard sealed.hasPrefix(Self.marker), let combined = Data(base64Encoded: String(sealed.dropFirst(Self.marker.count))) else {
            throw TicketingConfigurationError("a stored signing key is not in a known sealed format")
        }
        do {
            return try AES.GCM.open(try AES.GCM.SealedBox(combined: combined), using: key)
        } catch {
            throw TicketingConfigurationError("a stored signing key does not open with this TICKET_KEY_SECRET")
        }
    }
}
