import Hummingbird
import PluginKit

/// Balances from the ledger: an organizer's own, and every account's for admins.
struct LedgerController {
    let balances: Balances

    func register(organizer: RouteRegistrar<OrganizerContext>, admin: RouteRegistrar<AdminContext>) {
        organizer.on(.get, "balances", use: organizerBalances)
        admin.on(.get, "admin/ledger/balances", use: accounts)
    }

    @Sendable func organizerBalances(_ request: Request, context: OrganizerContext) async throws -> Response {
        struct Body: Encodable {
            let currency: String, pending: Int64, available: Int64, inTransit: Int64, paidOut: Int64, owed: Int64
        }
        let found = try await balances.organizer(context.organizer)
        return try JSONCoding.response(ListBody(data: found.map {
            Body(currency: $0.currency, pending: $0.pending, available: $0.available, inTransit: $0.inTransit, paidOut: $0.paidOut, owed: $0.owed)
        }, nextCursor: nil))
    }

    @Sendable func accounts(_ request: Request, context: AdminContext) async throws -> Response {
        struct Account: Encodable { let account: String, currency: String, debits: Int64, credits: Int64, balance: Int64 }
        struct Total: Encodable { let currency: String, debits: Int64, credits: Int64 }
        struct Body: Encodable { let accounts: [Account], totals: [Total] }
        let rows = try await balances.accounts()
        let accounts = rows.map { row in
            Account(account: row.account, currency: row.currency, debits: row.debits, credits: row.credits,
                    balance: LedgerAccount.balance(code: row.account, debits: row.debits, credits: row.credits))
        }
        let totals = Dictionary(grouping: rows, by: \.currency).sorted { $0.key < $1.key }.map { currency, rows in
            Total(currency: currency, debits: rows.reduce(0) { $0 + $1.debits }, credits: rows.reduce(0) { $0 + $1.credits })
        }
        return try JSONCoding.response(Body(accounts: accounts, totals: totals))
    }
}
