import Foundation
import JWTKit
import Platform

/// What a ticket token says. Times are Unix seconds, as JWT has them.
package struct TicketClaims: JWTPayload, Hashable {
    /// The ticket id.
    package let sub: String
    package let evt: String
    package let `var`: String
    /// The ticket's token version: a re-issued ticket's older tokens stop verifying.
    package let ver: Int64
    package let iat: Int64
    package let exp: Int64

    package init(sub: String, evt: String, `var` variant: String, ver: Int64, iat: Int64, exp: Int64) {
        self.sub = sub
        self.evt = evt
        self.var = variant
        self.ver = ver
        self.iat = iat
        self.exp = exp
    }

    enum CodingKeys: String, CodingKey { case sub, evt, `var`, ver, iat, exp }

    /// The token carries the IDs without their `tkt_`/`evt_`/`var_` prefixes: 12 bytes fewer keep the
    /// QR code a version smaller. Prefixed IDs from older tokens are read as they are.
    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func id(_ key: CodingKeys, _ prefix: String) throws -> String {
            let text = try container.decode(String.self, forKey: key)
            return text.hasPrefix(prefix + "_") ? text : prefix + "_" + text
        }
        sub = try id(.sub, TicketKind.prefix)
        evt = try id(.evt, EventKind.prefix)
        self.var = try id(.var, VariantKind.prefix)
        ver = try container.decode(Int64.self, forKey: .ver)
        iat = try container.decode(Int64.self, forKey: .iat)
        exp = try container.decode(Int64.self, forKey: .exp)
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        func bare(_ id: String, _ prefix: String) -> String {
            id.hasPrefix(prefix + "_") ? String(id.dropFirst(prefix.count + 1)) : id
        }
        try container.encode(bare(sub, TicketKind.prefix), forKey: .sub)
        try container.encode(bare(evt, EventKind.prefix), forKey: .evt)
        try container.encode(bare(self.var, VariantKind.prefix), forKey: .var)
        try container.encode(ver, forKey: .ver)
        try container.encode(iat, forKey: .iat)
        try container.encode(exp, forKey: .exp)
    }

    /// Time is judged by the caller against its injected clock, so that "expired" and "not valid
    /// yet" can be answered as such instead of as a failed signature.
    package func verify(using algorithm: some JWTAlgorithm) async throws {}
}
