import Foundation
import JWTKit
import Platform

/// What checking a token's signature and times found.
package enum TokenCheck: Sendable, Hashable {
    case valid(TicketClaims)
    case expired(TicketClaims)
    case notValidYet(TicketClaims)
    /// Bad signature, unknown key, malformed: the reason is for logs and the scan record.
    case invalid(String)
}

/// Verifies ticket tokens against a set of keys: the server's key ring and an offline device's
/// bundle use the same checks.
package struct TokenVerifier: Sendable {
    /// Tokens issued a little "in the future" by a server whose clock runs ahead still verify.
    package static let clockSkewSeconds: Int64 = 300
    let keys: JWTKeyCollection
    let algorithms: [String: TokenAlgorithm]

    init(keys: JWTKeyCollection, algorithms: [String: TokenAlgorithm]) {
        self.keys = keys
        self.algorithms = algorithms
    }

    /// A verifier that knows only public keys, as an offline device has them.
    package static func publicKeys(_ published: [String: PublicKeyText]) async throws -> TokenVerifier {
        let keys = JWTKeyCollection()
        for (kid, key) in published { try await key.add(to: keys, kid: kid) }
        return TokenVerifier(keys: keys, algorithms: published.mapValues(\.algorithm))
    }

    package func check(_ token: String, now: Timestamp) async -> TokenCheck {
        guard token.utf8.count <= 4096 else { return .invalid("token too long") }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Data(base64URL: String(parts[0])),
              let header = try? Self.decoder.decode(Header.self, from: headerData) else {
            return .invalid("malformed token")
        }
        // jwt-kit falls back to its default key for an unknown kid; an unknown key is refused here.
        guard let kid = header.kid, let algorithm = algorithms[kid] else { return .invalid("unknown signing key") }
        guard header.alg == algorithm.rawValue else { return .invalid("algorithm does not match the key") }
        let claims: TicketClaims
        do {
            claims = try await keys.verify(token, as: TicketClaims.self)
        } catch {
            return .invalid("bad signature or claims")
        }
        return Self.judge(claims, now: now)
    }

    /// The times of authentic claims against `now`.
    static func judge(_ claims: TicketClaims, now: Timestamp) -> TokenCheck {
        let seconds = now.milliseconds / 1000
        if claims.iat > seconds + Self.clockSkewSeconds { return .notValidYet(claims) }
        if claims.exp < seconds { return .expired(claims) }
        return .valid(claims)
    }

    /// What a well-formed token claims, its signature unchecked. Only a caller that then proves the
    /// token authentic another way may act on it: online check-in compares it with the issued token.
    static func unverifiedClaims(_ token: String) -> TicketClaims? {
        guard token.utf8.count <= 4096 else { return nil }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let payload = Data(base64URL: String(parts[1])) else { return nil }
        return try? decoder.decode(TicketClaims.self, from: payload)
    }

    /// One decoder for every token: these run on each scan and offline verification.
    private static let decoder = JSONDecoder()

    private struct Header: Decodable {
        let alg: String
        let kid: String?
    }
}
