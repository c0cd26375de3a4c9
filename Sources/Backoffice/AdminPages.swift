import Foundation
import Hummingbird
import Platform
import PluginKit

/// The platform admin's pages at `/admin`: the ledger's balances with the result of its invariant
/// check, the organizers (fee, payout method), a payout run previewed and then confirmed, and the
/// triage lists (dead webhooks and emails to replay, failed refunds and payouts). Admins are
/// members without an organizer (`platform admin create-user`) and sign in like everyone else.
struct AdminPages {
    let site: MemberSite
    let platform: Platform

    func register(_ web: WebRoutes) {
        web.on(.get, "admin") { request, _ in try await site.guarded { try await overview(request) } }
        web.on(.get, "admin/organizers") { request, _ in try await site.guarded { try await organizers(request) } }
        web.on(.post, "admin/organizers/{id}") { request, context in
            try await site.guarded { try await updateOrganizer(request, id: context.parameters.get("id") ?? "") }
        }
        web.on(.post, "admin/organizers/{id}/suspension") { request, context in
            try await site.guarded { try await suspend(request, id: context.parameters.get("id") ?? "") }
        }
        web.on(.get, "admin/payouts") { request, _ in try await site.guarded { try await payouts(request) } }
        web.on(.post, "admin/payouts") { request, _ in try await site.guarded { try await runPayouts(request) } }
        web.on(.get, "admin/triage") { request, _ in try await site.guarded { try await triage(request) } }
        web.on(.post, "admin/triage/{queue}/{id}/replay") { request, context in
            try await site.guarded {
                try await replay(request, queue: context.parameters.get("queue") ?? "", id: context.parameters.get("id") ?? "")
            }
        }
    }

    private func admin(_ request: Request) async throws -> Members.Session {
        try await site.member(request, may: { $0 == .admin })
    }

    private func page(_ name: String, _ model: [String: Any], request: Request, session: Members.Session,
                      status: HTTPResponse.Status = .ok) throws -> Response {
        var full = model
        full["admin"] = true
        return try site.page(name, full, request: request, session: session, status: status)
    }

    static func money(_ minor: Int64, _ code: String) -> String { MoneyPages.money(minor, code) }

    // MARK: The ledger

    private func overview(_ request: Request) async throws -> Response {
        let session = try await admin(request)
        let discrepancies = try await platform.database.read { sql in try await LedgerInvariants.check(on: sql) }
        let accounts = try await platform.balances.accounts()
        return try page("admin_overview", [
            "title": "Admin", "balanced": discrepancies.isEmpty, "discrepancies": discrepancies.map { ["text": $0] },
            "accounts": accounts.map { account in
                ["account": account.account, "currency": account.currency, "debits": Self.money(account.debits, account.currency),
                 "credits": Self.money(account.credits, account.currency),
                 "balance": Self.money(account.debits - account.credits, account.currency)]
            },
        ], request: request, session: session)
    }

    // MARK: Organizers

    private func organizers(_ request: Request, session given: Members.Session? = nil, notice: String? = nil, error: String? = nil,
                            status: HTTPResponse.Status = .ok) async throws -> Response {
        let session = try await site.member(request, given: given, may: { $0 == .admin })
        let all = try await platform.catalog.organizers(after: nil, limit: 500)
        let methods = try await platform.database.read { sql in
            var found: [OrganizerID: PayoutMethod] = [:]
            for organizer in all { found[organizer.id] = try await PayoutMethodRepository(sql).find(organizer.id) }
            return found
        }
        return try page("admin_organizers", [
            "title": "Organizers", "default_fee": FeePolicy.standard.basisPoints,
            "organizers": all.map { organizer in
                ["organizer_id": organizer.id.rawValue, "name": organizer.name, "slug": organizer.slug, "email": organizer.email,
                 "fee": organizer.feeBasisPoints.map(String.init) ?? "", "suspended": organizer.suspendedAt.map(OrderPages.utc) ?? false,
                 "payout_provider": methods[organizer.id]?.provider ?? "", "payout_account": methods[organizer.id]?.account ?? ""] as [String: Any]
            },
            "providers": platform.providers.payoutProviders.map { ["provider": $0.id] },
            "notice": notice ?? false, "error": error ?? false,
        ], request: request, session: session, status: status)
    }

    private func updateOrganizer(_ request: Request, id: String) async throws -> Response {
        let session = try await admin(request)
        let form = try await site.form(request, session: session)
        guard let organizer = OrganizerID(id) else { throw PlatformError.notFound("organizer") }
        do {
            let feeText = (form["fee_bps"] ?? "").trimmingCharacters(in: .whitespaces)
            guard feeText.isEmpty || Int(feeText) != nil else { throw ValidationFailure(field: "fee_bps", "must be a whole number of basis points") }
            let provider = (form["payout_provider"] ?? "").trimmingCharacters(in: .whitespaces)
            let account = (form["payout_account"] ?? "").trimmingCharacters(in: .whitespaces)
            let method = provider.isEmpty && account.isEmpty ? nil : try platform.payoutMethods.validated(provider: provider, account: account)
            let methods = platform.payoutMethods
            let changed = try await site.acting(session) {
                try await platform.catalog.updateOrganizer(organizer, senderName: nil, replyTo: nil, payoutHold: nil,
                                                           feeBasisPoints: .some(Int(feeText))) { organizer, sql in
                    if let method { try await methods.set(organizer, provider: method.provider, account: method.account, by: "admin", on: sql) }
                }
            }
            return try await organizers(request, session: session, notice: "\(changed.name) saved.")
        } catch let failure as ValidationFailure {
            return try await organizers(request, session: session, error: MemberSignInPages.message(failure), status: .unprocessableContent)
        } catch PlatformError.notFound {
            return try await organizers(request, session: session, error: "No such organizer; nothing was changed.", status: .notFound)
        }
    }

    /// `suspend=1` suspends, anything else reinstates.
    private func suspend(_ request: Request, id: String) async throws -> Response {
        let session = try await admin(request)
        let form = try await site.form(request, session: session)
        guard let organizer = OrganizerID(id) else { throw PlatformError.notFound("organizer") }
        do {
            let suspend = form["suspend"] == "1"
            let changed = try await site.acting(session) { try await platform.catalog.setSuspended(organizer, suspend) }
            if suspend { platform.apiKeys.forget(organizer: organizer) }
            return try await organizers(request, session: session, notice: suspend
                ? "\(changed.name) is suspended: its events left the shop, its keys and members stopped working, and payouts wait."
                : "\(changed.name) is reinstated.")
        } catch PlatformError.notFound {
            return try await organizers(request, session: session, error: "No such organizer; nothing was changed.", status: .notFound)
        }
    }

    // MARK: Payouts

    private func payouts(_ request: Request, session given: Members.Session? = nil, report: PayoutRunReport? = nil,
                         currency: String = "", notice: String? = nil, error: String? = nil,
                         status: HTTPResponse.Status = .ok) async throws -> Response {
        let session = try await site.member(request, given: given, may: { $0 == .admin })
        let recent = try await platform.database.read { sql in try await PayoutRepository(sql).list(organizer: nil, before: nil, limit: 100) }
        let names = Dictionary(try await platform.catalog.organizers(after: nil, limit: 1000).map { ($0.id, $0.name) }) { first, _ in first }
        var model: [String: Any] = [
            "title": "Payouts", "currency": currency, "notice": notice ?? false, "error": error ?? false,
            "payouts": recent.map { payout in
                ["payout_id": payout.id.rawValue, "organizer": names[payout.organizerID] ?? payout.organizerID.rawValue,
                 "amount": payout.amount.description, "provider": payout.provider, "status": payout.status.rawValue.replacingOccurrences(of: "_", with: " "),
                 "created": OrderPages.utc(payout.createdAt), "failure": payout.failureReason ?? ""]
            },
            "preview": false,
        ]
        if let report {
            model["preview"] = [
                "lines": report.payouts.map { line in
                    ["organizer": names[line.organizerID] ?? line.organizerID.rawValue, "amount": line.amount.description,
                     "provider": line.provider, "line_status": line.status, "line_error": line.error ?? ""]
                },
                "skipped": report.skipped.map { skip in
                    ["organizer": names[skip.organizerID] ?? skip.organizerID.rawValue, "amount": skip.amount.description, "reason": skip.reason]
                },
                "nothing": report.payouts.isEmpty,
            ] as [String: Any]
        }
        return try page("admin_payouts", model, request: request, session: session, status: status)
    }

    /// `confirm` absent: a dry run, shown with a button that runs it for real.
    private func runPayouts(_ request: Request) async throws -> Response {
        let session = try await admin(request)
        let form = try await site.form(request, session: session)
        let currency = (form["currency"] ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        guard currency.isEmpty || Currency(code: currency) != nil else {
            return try await payouts(request, session: session, currency: currency, error: "Currency must be an ISO 4217 code, or empty for all.",
                                     status: .unprocessableContent)
        }
        let confirm = form["confirm"] == "1"
        let report = try await site.acting(session) {
            try await platform.payouts.run(PayoutRunRequest(currency: currency.isEmpty ? nil : currency, dryRun: !confirm))
        }
        let notice = confirm ? "Payout run done: \(report.payouts.count) payout\(report.payouts.count == 1 ? "" : "s") sent." : nil
        return try await payouts(request, session: session, report: report, currency: currency, notice: notice)
    }

    // MARK: Triage

    private func triage(_ request: Request, session given: Members.Session? = nil, notice: String? = nil, error: String? = nil,
                        status: HTTPResponse.Status = .ok) async throws -> Response {
        let session = try await site.member(request, given: given, may: { $0 == .admin })
        let webhooks = try await platform.inboxTriage.list(statuses: [.dead, .failed], after: nil, limit: 200)
        let emails = try await platform.outboxTriage.list(statuses: [.dead], after: nil, limit: 200)
        let (refunds, payouts) = try await platform.database.read { sql in
            (try await RefundRepository(sql).list(statuses: ["failed"], after: nil as RefundID?, limit: 200),
             try await PayoutRepository(sql).list(organizer: nil, before: nil, limit: 500).filter { $0.status == .failed || $0.lastError != nil })
        }
        let webhookRows: [[String: Any]] = webhooks.map { row in
            ["id": row.id.rawValue, "provider": row.provider, "event_type": row.eventType, "status": row.status.rawValue,
             "attempts": row.attempts, "last_error": row.lastError ?? ""]
        }
        let emailRows: [[String: Any]] = emails.map { row in
            ["id": row.id.rawValue, "kind": row.kind.rawValue, "recipient": row.recipient, "attempts": row.attempts, "last_error": row.lastError ?? ""]
        }
        let refundRows: [[String: Any]] = refunds.map { row in
            ["id": row.id.rawValue, "order_id": row.orderID.rawValue, "amount": Self.money(row.amount, row.currency), "refund_error": row.error ?? ""]
        }
        let payoutRows: [[String: Any]] = payouts.map { row in
            ["id": row.id.rawValue, "amount": row.amount.description, "status": row.status.rawValue,
             "payout_error": row.failureReason ?? row.lastError ?? ""]
        }
        var model: [String: Any] = ["title": "Triage", "notice": notice ?? false, "error": error ?? false]
        model["webhooks"] = webhookRows
        model["emails"] = emailRows
        model["refunds"] = refundRows
        model["payouts"] = payoutRows
        model["no_webhooks"] = webhooks.isEmpty
        model["no_emails"] = emails.isEmpty
        model["no_refunds"] = refunds.isEmpty
        model["no_payouts"] = payouts.isEmpty
        return try page("admin_triage", model, request: request, session: session, status: status)
    }

    private func replay(_ request: Request, queue: String, id: String) async throws -> Response {
        let session = try await admin(request)
        _ = try await site.form(request, session: session)
        do {
            switch queue {
            case "webhooks":
                guard let webhook = WebhookID(id) else { throw PlatformError.notFound("webhook") }
                _ = try await site.acting(session) { try await platform.inboxTriage.replay(webhook) }
            case "emails":
                guard let message = MessageID(id) else { throw PlatformError.notFound("message") }
                _ = try await site.acting(session) { try await platform.outboxTriage.replay(message) }
            default:
                throw PlatformError.notFound("queue")
            }
            return try await triage(request, session: session, notice: "Queued again: \(id).")
        } catch PlatformError.notFound(let what) {
            return try await triage(request, session: session, error: "No such \(what); nothing was changed.", status: .notFound)
        } catch PlatformError.conflict(let detail) {
            return try await triage(request, session: session, error: detail.capitalizedFirst + ".", status: .conflict)
        }
    }
}
