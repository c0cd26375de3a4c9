import Foundation
import JWTKit

/// JWS compact serialization for ticket tokens, with the smallest header a verifier needs
/// (`alg` and `kid`). jwt-kit always adds `"typ":"JWT"`; those 15 characters, in every QR code,
/// are what keep a token within a smaller QR version. jwt-kit still makes the signature and
/// verifies the tokens.
enum CompactJWS {
    struct Header: Encodable {
        let alg: String
        let kid: String
    }

    static func sign(_ claims: TicketClaims, kid: String, with algorithm: any JWTAlgorithm) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let header = try encoder.encode(Header(alg: algorithm.name, kid: kid))
        let payload = try encoder.encode(claims)
        let input = header.base64URLText + "." + payload.base64URLText
        return input + "." + Data(try algorithm.sign(Array(input.utf8))).base64URLText
    }
}
