import Crypto
import Foundation
import Platform

/// Everything a door device needs to decide admit or deny without the server: the keys tokens
/// verify with, every ticket of the event with its status, and the blocklist.
public struct BundleContents: Sendable, Codable, Hashable {
    public static let currentFormat = 1
    public var format: Int
    public var eventId: String
    public var organizerId: String
    /// Unix milliseconds, and the same as RFC 3339 for people.
    public var generatedAtMs: Int64
    public var generatedAt: String
    public var keys: [String: PublicKeyText]
    public var tickets: [Entry]
    public var blocklist: [Blocked]

    public struct Entry: Sendable, Codable, Hashable {
        public var id: String
        public var variantId: String
        public var status: TicketStatus
        public var version: Int64
        /// When the ticket was first admitted before the bundle was made, if it was.
        public var admittedAt: String?
    }

    public struct Blocked: Sendable, Codable, Hashable {
        public var ticketId: String
        public var reason: String
    }
}

/// The signed envelope: `payload` is the contents' exact JSON text, and `signature` the Ed25519
/// signature (base64url) of its UTF-8 bytes by key `kid`, so no re-encoding can change what was signed.
public struct OfflineBundle: Sendable, Codable, Hashable {
    public var payload: String
    public var alg: String
    public var kid: String
    public var signature: String

    static func sign(_ contents: BundleContents, with keys: TicketKeyRing) throws -> OfflineBundle {
        let payload = try JSONCoding.encoder.encode(contents)
        let (kid, signature) = try keys.signBundle(payload)
        return OfflineBundle(payload: String(decoding: payload, as: UTF8.self), alg: "EdDSA", kid: kid, signature: signature.base64URLText)
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case malformed(String)
        case untrustedKey(String)
        case badSignature

        public var description: String {
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
    public func verified(trusting trusted: [String: PublicKeyText]? = nil) throws(Failure) -> BundleContents {
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
