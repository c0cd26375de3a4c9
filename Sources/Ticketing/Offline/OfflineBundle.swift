import Crypto
import Foundation
import Platform

/// Everything a door device needs to decide admit or deny without the server: the keys tokens
/// verify with, every ticket of the event with its status, and the blocklist.
package struct BundleContents: Sendable, Codable, Hashable {
    package static let currentFormat = 1
    package var format: Int
    package var eventId: String
    package var organizerId: String
    /// Unix milliseconds, and the same as RFC 3339 for people.
    package var generatedAtMs: Int64
    package var generatedAt: String
    package var keys: [String: PublicKeyText]
    package var tickets: [Entry]
    package var blocklist: [Blocked]

    package struct Entry: Sendable, Codable, Hashable {
        package var id: String
        package var variantId: String
        package var status: TicketStatus
        package var version: Int64
        /// When the ticket was first admitted before the bundle was made, if it was.
        package var admittedAt: String?
    }

    package struct Blocked: Sendable, Codable, Hashable {
        package var ticketId: String
        package var reason: String
    }
}

/// The signed envelope: `payload` is the contents' exact JSON text, and `signature` the Ed25519
/// signature (base64url) of its UTF-8 bytes by key `kid`, so no re-encoding can change what was signed.
package struct OfflineBundle: Sendable, Codable, Hashable {
    package var payload: String
    package var alg: String
    package var kid: String
    package var signature: String

    static func sign(_ contents: BundleContents, with keys: TicketKeyRing) throws -> OfflineBundle {
        let payload = try JSONCoding.encoder.encode(contents)
        let (kid, signature) = try keys.signBundle(payload)
        return OfflineBundle(payload: String(decoding: payload, as: UTF8.self), alg: "EdDSA", kid: kid, signature: signature.base64URLText)
    }

    package enum Failure: Error, Equatable, CustomStringConvertible {
        case malformed(String)
        case untrustedKey(String)
        case badSignature

        package var description: String {
            switch self {
            case let .malformed(detail): "the bundle is malformed: \(detail)"
            case let .untrustedKey(kid): "the bundle is signed by key \(kid), which is not trusted"
            case .badSignature: "the bundle's signature does not match its contents: it was altered"
            }
        }
    }

    /// Checks the signature and returns the contents. With `trusting`, the signing key must be one
    /// of those (keys pinned on the device); without, the bundle's own copy of the key is used,
    /// which proves integrity but not origin.
    package func verified(trusting trusted: [String: PublicKeyText]? = nil) throws(Failure) -> BundleContents {
        guard alg == "EdDSA" else { throw .malformed("unsupported algorithm \(alg)") }
        let bytes = Data(payload.utf8)
        let contents: BundleContents
        do { contents = try JSONCoding.decoder.decode(BundleContents.self, from: bytes) } catch { throw .malformed("payload is not a bundle") }
        let key: PublicKeyText
        if let trusted {
            guard let pinned = trusted[kid] else { throw .untrustedKey(kid) }
            key = pinned
        } else {
            guard let own = contents.keys[kid] else { throw .untrustedKey(kid) }
            key = own
        }
        guard key.algorithm == .eddsa, let raw = Data(base64URL: key.text),
              let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { throw .untrustedKey(kid) }
        guard let signature = Data(base64URL: signature), publicKey.isValidSignature(signature, for: bytes) else { throw .badSignature }
        guard contents.format == BundleContents.currentFormat else { throw .malformed("unknown format \(contents.format)") }
        return contents
    }
}
