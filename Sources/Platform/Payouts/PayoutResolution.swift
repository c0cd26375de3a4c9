import PluginKit
import SQLKit

/// An admin's decision on a payout the provider never confirmed (one a run lists as unconfirmed
/// for over 20 hours), after checking it with the provider: it reached the organizer, or it did
/// not and the money goes back to the organizer's available balance.
package struct PayoutResolution: Sendable {
    package enum Outcome: String, Sendable, CaseIterable {
        case settled, failed
    }

    let database: any Database
    let clock: any WallClock
    let mailFrom: String

    package init(database: any Database, clock: any WallClock, mailFrom: String) {
        self.database = database
        self.clock = clock
        self.mailFrom = mailFrom
    }

    /// - Throws: `PlatformError.notFound` for no such payout, `PlatformError.conflict` when it is
    ///   not waiting for a confirmation (already settled, failed or returned).
    package func resolve(_ id: PayoutID, as outcome: Outcome, reason: String) async throws -> Payout {
        let (now, settlement) = (clock.now(), PayoutSettlement(mailFrom: mailFrom))
        return try await database.transaction { sql in
            let payouts = PayoutRepository(sql)
            guard let payout = try await payouts.find(id) else { throw PlatformError.notFound("payout") }
            guard payout.status == .sending || payout.status == .sent else {
                throw PlatformError.conflict("the payout is \(payout.status.rawValue) already")
            }
            let moved = switch outcome {
            case .settled: try await settlement.settle(id, reference: nil, provider: payout.provider, at: now, on: sql)
            case .failed: try await settlement.fail(id, reason: "resolved by an admin: \(reason)", provider: payout.provider, at: now, on: sql)
            }
            guard moved, let resolved = try await payouts.find(id) else { throw PlatformError.conflict("the payout changed meanwhile") }
            return resolved
        }
    }
}
