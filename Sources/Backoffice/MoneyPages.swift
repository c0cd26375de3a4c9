import Foundation
import Hummingbird
import Platform
import PluginKit

/// The owner's money: balances per currency (pending, available, in transit, paid out, owed), the
/// payouts with each one's remittance advice, and the statement as CSV, all from the ledger.
struct MoneyPages {
    let site: MemberSite
    let balances: Balances
    let statements: Statements

    func register(_ web: WebRoutes) {
        web.on(.get, "backoffice/money") { request, _ in try await site.guarded { try await show(request) } }
        web.on(.get, "backoffice/money/statement.csv") { request, _ in try await site.guarded { try await csv(request) } }
        web.on(.get, "backoffice/money/payouts/{id}") { request, context in
            try await site.guarded { try await payout(request, id: context.parameters.get("id") ?? "") }
        }
    }

    private func organizer(_ request: Request) async throws -> (Members.Session, OrganizerID) {
        let session = try await site.member(request, may: \.seesMoney)
        guard let organizer = session.member.organizerID else { throw PlatformError.notFound("organizer") }
        return (session, organizer)
    }

    static func money(_ minor: Int64, _ code: String) -> String {
        Currency(code: code).map { Money(minorUnits: minor, currency: $0).description } ?? "\(minor) \(code)"
    }

    private func show(_ request: Request) async throws -> Response {
        let (session, organizer) = try await organizer(request)
        let found = try await balances.organizer(organizer)
        let payouts = try await statements.payouts(of: organizer, limit: 100)
        return try site.page("backoffice_money", [
            "title": "Money",
            "balances": found.map { balance in
                ["currency": balance.currency, "pending": Self.money(balance.pending, balance.currency),
                 "available": Self.money(balance.available, balance.currency), "in_transit": Self.money(balance.inTransit, balance.currency),
                 "paid_out": Self.money(balance.paidOut, balance.currency), "owed": Self.money(balance.owed, balance.currency)]
            },
            "no_balances": found.isEmpty,
            "payouts": payouts.map { payout in
                ["payout_id": payout.id.rawValue, "amount": payout.amount.description, "provider": payout.provider, "account": payout.account,
                 "status": payout.status.rawValue.replacingOccurrences(of: "_", with: " "), "created": OrderPages.utc(payout.createdAt),
                 "settled": payout.settledAt.map(OrderPages.utc) ?? ""]
            },
            "no_payouts": payouts.isEmpty,
        ], request: request, session: session)
    }

    private func csv(_ request: Request) async throws -> Response {
        let (_, organizer) = try await organizer(request)
        var response = LedgerController.csv(try await statements.allEntries(of: organizer))
        response.headers[.cacheControl] = "no-store"
        return response
    }

    private func payout(_ request: Request, id: String) async throws -> Response {
        let (session, organizer) = try await organizer(request)
        guard let payoutID = PayoutID(id), let payout = try await statements.payout(payoutID, of: organizer) else {
            return try site.notFound("No such payout", "Check the address.", request: request, session: session)
        }
        let entries = try await statements.covered(by: payout)
        let code = payout.amount.currency.code
        return try site.page("backoffice_payout", [
            "title": "Payout \(payout.id)", "payout_id": payout.id.rawValue, "amount": payout.amount.description, "provider": payout.provider,
            "account": payout.account, "status": payout.status.rawValue.replacingOccurrences(of: "_", with: " "),
            "reference": payout.providerReference ?? "", "failure": payout.failureReason ?? false,
            "entries": entries.map { entry in
                ["entry_id": entry.id, "type": entry.type.rawValue.replacingOccurrences(of: "_", with: " "), "booked": OrderPages.utc(entry.bookedAt),
                 "gross": Self.money(entry.gross, code), "fee": Self.money(entry.fee, code), "net": Self.money(entry.net, code)]
            },
        ], request: request, session: session)
    }
}
