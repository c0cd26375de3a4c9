import PluginKit

/// What the ledger says an organizer has, in one currency (minor units).
package struct OrganizerBalance: Sendable, Hashable {
    package let currency: String
    /// Net of orders still in their hold.
    package let pending: Int64
    /// Net a payout may send.
    package let available: Int64
    /// Payouts sent and not yet settled.
    package let inTransit: Int64
    /// Payouts settled, in all.
    package let paidOut: Int64
    /// What the organizer owes the platform (a refund or lost dispute after its net was available
    /// or paid out), less what is available: later sales pay it back before any payout.
    package let owed: Int64
}

/// Balances read from the ledger: an organizer's, and every account's for admins.
package struct Balances: Sendable {
    let database: any Database

    package init(database: any Database) { self.database = database }

    /// Per currency the organizer has had money in, in currency order.
    package func organizer(_ organizer: OrganizerID) async throws -> [OrganizerBalance] {
        let totals = try await database.read { sql in try await LedgerRepository(sql).accountTotals(organizer: organizer) }
        func balance(_ account: LedgerAccount, _ currency: String) -> Int64 {
            totals.first { $0.account == account.code && $0.currency == currency }.map { $0.credits - $0.debits } ?? 0
        }
        return Set(totals.map(\.currency)).sorted().map { currency in
            // The receivable is an asset: its credits less debits is minus what is owed.
            let net = balance(.organizerAvailable(organizer), currency) + balance(.organizerReceivable(organizer), currency)
            return OrganizerBalance(currency: currency, pending: balance(.organizerPending(organizer), currency), available: max(net, 0),
                                    inTransit: balance(.payoutsInTransit(organizer), currency), paidOut: balance(.paidOut(organizer), currency),
                                    owed: max(-net, 0))
        }
    }

    /// Every account with its debits and credits, per currency.
    package func accounts() async throws -> [AccountTotals] {
        try await database.read { sql in try await LedgerRepository(sql).accountTotals() }
    }
}
