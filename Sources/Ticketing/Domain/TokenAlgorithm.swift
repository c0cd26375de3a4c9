import Platform

/// The JWS algorithms a ticket token may be signed with. EdDSA (Ed25519) is the default: the
/// shortest signature (64 bytes) and the fastest verification.
package enum TokenAlgorithm: String, Sendable, CaseIterable, Codable {
    case eddsa = "EdDSA"
    case es256 = "ES256"
    case rs256 = "RS256"
    case hs256 = "HS256"

    /// A shared secret cannot be handed to door devices, so HS256 tokens verify online only.
    package var isAsymmetric: Bool { self != .hs256 }
}

package struct TicketingConfigurationError: Error, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}
