import Foundation
import Hummingbird
import Platform
import PluginKit

/// The admin's page of buyer credit (`/admin/credit`): the credit packs (defined, put on sale or
/// taken off) and the wallets, with the shortfalls of refunded packs first when asked for.
struct AdminCreditPages {
    let site: MemberSite
    let platform: Platform

    func register(_ web: WebRoutes) {
        web.on(.get, "admin/credit") { request, _ in try await site.guarded { try await show(request) } }
        web.on(.post, "admin/credit/packs") { request, _ in try await site.guarded { try await create(request) } }
        web.on(.post, "admin/credit/packs/{id}") { request, context in
            try await site.guarded { try await setActive(request, id: context.parameters.get("id") ?? "") }
        }
    }

    private func show(_ request: Request, session given: Members.Session? = nil, typed: [String: String] = [:], notice: String? = nil,
                      error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let session = try await site.member(request, given: given, may: { $0 == .admin })
        let owing = request.uri.queryParameters["owing"] == "true"
        let packs = try await platform.wallets.packs(activeOnly: false)
        let wallets = try await platform.wallets.balances(after: nil, limit: 200, owing: owing)
        return try site.page("admin_credit", [
            "title": "Credit", "admin": true, "owing": owing,
            "packs": packs.map { pack in
                ["pack_id": pack.id.rawValue, "name": pack.name, "price": pack.price.description,
                 "credit": Money(minorUnits: pack.credit, currency: pack.price.currency).description,
                 "expires": pack.expiresDays.map { "\($0) days" } ?? "never", "active": pack.active] as [String: Any]
            },
            "has_packs": !packs.isEmpty,
            "wallets": wallets.map { row in
                ["email": row.email, "wallet_id": row.wallet.rawValue,
                 "available": Money(minorUnits: row.balance.available, currency: row.balance.currency).description,
                 "held": Money(minorUnits: row.balance.held, currency: row.balance.currency).description,
                 "owed": row.balance.owed > 0 ? Money(minorUnits: row.balance.owed, currency: row.balance.currency).description : false]
                    as [String: Any]
            },
            "has_wallets": !wallets.isEmpty,
            "name": typed["name"] ?? "", "price": typed["price"] ?? "", "currency": typed["currency"] ?? "EUR", "credit": typed["credit"] ?? "",
            "expires_days": typed["expires_days"] ?? "",
            "notice": notice ?? false, "error": error ?? false,
        ], request: request, session: session, status: status)
    }

    /// Amounts are typed in the pack's currency (`25.00`); the pack API takes minor units.
    private func create(_ request: Request) async throws -> Response {
        let session = try await site.member(request, may: { $0 == .admin })
        let form = try await site.form(request, session: session)
        let names = ["name", "price", "currency", "credit", "expires_days"]
        let typed = Dictionary(uniqueKeysWithValues: names.map { ($0, (form[$0] ?? "").trimmingCharacters(in: .whitespaces)) })
        do {
            let currency = Currency(code: typed["currency", default: ""].uppercased())
            var check = Validator()
            check.check(currency != nil, "currency", "must be an ISO 4217 code such as EUR")
            let price = currency.flatMap { Money(decimal: typed["price", default: ""], currency: $0)?.minorUnits }
            let credit = currency.flatMap { Money(decimal: typed["credit", default: ""], currency: $0)?.minorUnits }
            check.check(currency == nil || price != nil, "price", "must be an amount such as 25.00")
            check.check(currency == nil || credit != nil, "credit", "must be an amount such as 30.00")
            let days = typed["expires_days", default: ""]
            check.check(days.isEmpty || Int(days) != nil, "expires_days", "must be a whole number of days, or empty for never")
            try check.throwIfFailed()
            let pack = try await site.acting(session) {
                try await platform.wallets.createPack(Wallets.PackInput(
                    name: typed["name", default: ""], price: price ?? 0, currency: currency?.code ?? "", credit: credit ?? 0, active: true,
                    expiresDays: Int(days)))
            }
            return try await show(request, session: session, notice: "\(pack.name) is on sale.")
        } catch let failure as ValidationFailure {
            return try await show(request, session: session, typed: typed, error: MemberSignInPages.message(failure), status: .unprocessableContent)
        }
    }

    /// `active=1` puts the pack on sale, anything else takes it off.
    private func setActive(_ request: Request, id: String) async throws -> Response {
        let session = try await site.member(request, may: { $0 == .admin })
        let form = try await site.form(request, session: session)
        guard let pack = CreditPackID(id) else { throw PlatformError.notFound("credit pack") }
        do {
            let active = form["active"] == "1"
            let changed = try await site.acting(session) { try await platform.wallets.setActive(pack, active) }
            return try await show(request, session: session, notice: "\(changed.name) is \(active ? "on sale" : "off sale"); purchases made keep their credit.")
        } catch PlatformError.notFound {
            return try await show(request, session: session, error: "No such credit pack; nothing was changed.", status: .notFound)
        }
    }
}
