import Foundation
import Platform

/// The reference offline door: decides admit or deny from a verified bundle alone, and
/// remembers what it admitted so a second scan at this door is `already_admitted`.
package struct OfflineVerifier: Sendable {
    package let contents: BundleContents
    let verifier: TokenVerifier
    let tickets: [String: BundleContents.Entry]
    let blocked: [String: String]
    package private(set) var admittedHere: [String: Timestamp] = [:]

    package struct Decision: Sendable, Codable, Hashable {
        package let result: ScanResult
        package let ticketId: String?
        package let reason: String?
    }

    package init(bundle: OfflineBundle, trusting trusted: [String: PublicKeyText]? = nil) async throws {
        let contents = try bundle.verified(trusting: trusted)
        self.contents = contents
        verifier = try await TokenVerifier.publicKeys(contents.keys.filter { $0.value.algorithm.isAsymmetric })
        tickets = Dictionary(contents.tickets.map { ($0.id, $0) }) { first, _ in first }
        blocked = Dictionary(contents.blocklist.map { ($0.ticketId, $0.reason) }) { first, _ in first }
    }

    package init(bundleJSON data: Data, trusting trusted: [String: PublicKeyText]? = nil) async throws {
        let bundle: OfflineBundle
        do { bundle = try JSONDecoder().decode(OfflineBundle.self, from: data) } catch {
            throw OfflineBundle.Failure.malformed("not a bundle envelope")
        }
        try await self.init(bundle: bundle, trusting: trusted)
    }

    /// Decides one entry scan at `now`, recording an admission.
    package mutating func scan(_ token: String, now: Timestamp) async -> Decision {
        let decision = await decide(token, now: now)
        if decision.result == .admitted, let id = decision.ticketId { admittedHere[id] = now }
        return decision
    }

    package func decide(_ token: String, now: Timestamp) async -> Decision {
        let claims: TicketClaims
        switch await verifier.check(token, now: now) {
        case let .invalid(reason): return Decision(result: .invalid, ticketId: nil, reason: reason)
        case let .expired(found): return Decision(result: .expired, ticketId: found.sub, reason: nil)
        case let .notValidYet(found): return Decision(result: .notValidYet, ticketId: found.sub, reason: nil)
        case let .valid(found): claims = found
        }
        guard let ticket = tickets[claims.sub], ticket.variantId == claims.var else {
            // A genuine token of another event of this platform, or of a ticket this bundle predates.
            return Decision(result: claims.evt == contents.eventId ? .invalid : .wrongEvent, ticketId: claims.sub,
                            reason: claims.evt == contents.eventId ? "ticket not in the bundle" : nil)
        }
        guard claims.evt == contents.eventId else { return Decision(result: .wrongEvent, ticketId: claims.sub, reason: nil) }
        guard ticket.version == claims.ver else { return Decision(result: .invalid, ticketId: claims.sub, reason: "superseded token") }
        switch ticket.status {
        case .refunded: return Decision(result: .refunded, ticketId: ticket.id, reason: nil)
        case .cancelled: return Decision(result: .cancelled, ticketId: ticket.id, reason: nil)
        case .valid: break
        }
        if let reason = blocked[ticket.id] { return Decision(result: .blocked, ticketId: ticket.id, reason: reason) }
        if ticket.admittedAt != nil || admittedHere[ticket.id] != nil {
            return Decision(result: .alreadyAdmitted, ticketId: ticket.id, reason: nil)
        }
        return Decision(result: .admitted, ticketId: ticket.id, reason: nil)
    }
}
