import _CryptoExtras
import Crypto
import Foundation
import JWTKit
import Platform

/// A private signing key of one algorithm, and how it is stored and added to a key collection.
enum KeyMaterial: Sendable {
    case eddsa(Curve25519.Signing.PrivateKey)
    case es256(P256.Signing.PrivateKey)
    case rs256(_RSA.Signing.PrivateKey)
    case hs256(SymmetricKey)

    static func generate(_ algorithm: TokenAlgorithm) throws -> KeyMaterial {
        switch algorithm {
        case .eddsa: .eddsa(Curve25519.Signing.PrivateKey())
        case .es256: .es256(P256.Signing.PrivateKey())
        case .rs256: .rs256(try _RSA.Signing.PrivateKey(keySize: .bits2048))
        case .hs256: .hs256(SymmetricKey(size: .bits256))
        }
    }

    /// Reads the bytes `privateBytes` produced.
    init(_ algorithm: TokenAlgorithm, privateBytes: Data) throws {
        switch algorithm {
        case .eddsa: self = .eddsa(try Curve25519.Signing.PrivateKey(rawRepresentation: privateBytes))
        case .es256: self = .es256(try P256.Signing.PrivateKey(rawRepresentation: privateBytes))
        case .rs256: self = .rs256(try _RSA.Signing.PrivateKey(derRepresentation: privateBytes))
        case .hs256: self = .hs256(SymmetricKey(data: privateBytes))
        }
    }

    /// A key given in the environment: base64 of the raw Ed25519 seed or P-256 scalar, a PEM
    /// (PKCS#8 or PKCS#1) RSA key, or an HS256 secret of at least 32 characters.
    init(_ algorithm: TokenAlgorithm, environmentText text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        switch algorithm {
        case .eddsa, .es256:
            guard let raw = Data(base64Encoded: trimmed), raw.count == 32 else {
                throw TicketingConfigurationError("TICKET_SIGNING_KEY must be the base64 of a 32-byte \(algorithm.rawValue) private key")
            }
            self = try KeyMaterial(algorithm, privateBytes: raw)
        case .rs256:
            do { self = .rs256(try _RSA.Signing.PrivateKey(pemRepresentation: trimmed)) } catch {
                throw TicketingConfigurationError("TICKET_SIGNING_KEY must be a PEM RSA private key")
            }
        case .hs256:
            guard trimmed.utf8.count >= 32 else { throw TicketingConfigurationError("TICKET_SIGNING_KEY must be at least 32 characters for HS256") }
            self = .hs256(SymmetricKey(data: Data(trimmed.utf8)))
        }
    }

    var algorithm: TokenAlgorithm {
        switch self {
        case .eddsa: .eddsa
        case .es256: .es256
        case .rs256: .rs256
        case .hs256: .hs256
        }
    }

    var privateBytes: Data {
        switch self {
        case let .eddsa(key): key.rawRepresentation
        case let .es256(key): key.rawRepresentation
        case let .rs256(key): key.derRepresentation
        case let .hs256(key): key.withUnsafeBytes { Data($0) }
        }
    }

    /// What verifies this key's signatures, as published in offline bundles; nil for a shared secret.
    var publicKey: PublicKeyText? {
        switch self {
        case let .eddsa(key): PublicKeyText(algorithm: .eddsa, text: key.publicKey.rawRepresentation.base64URLText)
        case let .es256(key): PublicKeyText(algorithm: .es256, text: key.publicKey.pemRepresentation)
        case let .rs256(key): PublicKeyText(algorithm: .rs256, text: key.publicKey.pemRepresentation)
        case .hs256: nil
        }
    }

    /// A stable id for a key that comes from the environment, so restarts keep its kid.
    var derivedKid: String {
        let digest = SHA256.hash(data: Data((publicKey?.text ?? "hs256").utf8) + (publicKey == nil ? privateBytes : Data()))
        return "e" + digest.prefix(5).hexString
    }

    func add(to keys: JWTKeyCollection, kid: String) async throws {
        let id = JWKIdentifier(string: kid)
        switch self {
        case let .eddsa(key): await keys.add(eddsa: EdDSA.PrivateKey(backing: key), kid: id)
        case let .es256(key): await keys.add(ecdsa: try ES256PrivateKey(backing: key), kid: id)
        case let .rs256(key): await keys.add(rsa: try Insecure.RSA.PrivateKey(backing: key), digestAlgorithm: .sha256, kid: id)
        case let .hs256(key): await keys.add(hmac: HMACKey(key: key), digestAlgorithm: .sha256, kid: id)
        }
    }
}

/// A public verification key as text: base64url raw bytes for Ed25519 (the JWK `x`), PEM otherwise.
package struct PublicKeyText: Sendable, Hashable, Codable {
    package let algorithm: TokenAlgorithm
    package let text: String

    func add(to keys: JWTKeyCollection, kid: String) async throws {
        let id = JWKIdentifier(string: kid)
        switch algorithm {
        case .eddsa: await keys.add(eddsa: try EdDSA.PublicKey(x: text, curve: .ed25519), kid: id)
        case .es256: await keys.add(ecdsa: try ES256PublicKey(pem: text), kid: id)
        case .rs256: await keys.add(rsa: try Insecure.RSA.PublicKey(pem: text), digestAlgorithm: .sha256, kid: id)
        case .hs256: throw TicketingConfigurationError("an HS256 key has no public part")
        }
    }
}
