import Foundation
import Hummingbird
import Platform
import PluginKit
import Ticketing

/// The organizer's orders: a list searched by email, name or order id and filtered by status and
/// date; an order's page with its lines, tickets, money (the ledger's entries of the order) and
/// refunds; and the refund form (all, an amount, or chosen tickets), whose outcome the page shows
/// once the provider has answered.
struct OrderPages {
    static let pageSize = 50

    let site: MemberSite
    let orders: Orders
    let refunds: RefundService
    let catalog: Catalog
    let tickets: Tickets
    let statements: Statements

    func register(_ web: WebRoutes) {
        web.on(.get, "backoffice/orders") { request, _ in try await site.guarded { try await list(request) } }
        web.on(.get, "backoffice/orders/{id}") { request, context in
            try await site.guarded { try await show(request, id: context.parameters.get("id") ?? "") }
        }
        web.on(.post, "backoffice/orders/{id}/refunds") { request, context in
            try await site.guarded { try await refund(request, id: context.parameters.get("id") ?? "", context: context) }
        }
    }

    // MARK: The list

    private func list(_ request: Request) async throws -> Response {
        let session = try await site.member(request, may: \.managesEvents)
        guard let organizer = session.member.organizerID else { throw PlatformError.notFound("organizer") }
        let query = request.uri.queryParameters
        let text = query["q"].map(String.init) ?? ""
        let status = query["status"].map(String.init).flatMap(OrderStatus.init(rawValue:))
        let from = query["from"].map(String.init).flatMap(Self.day)
        let to = query["to"].map(String.init).flatMap(Self.day).map { $0.adding(minutes: 24 * 60) }
        let before = query["before"].map(String.init).flatMap(OrderID.init)
        let found = try await orders.search(organizer: organizer, text: text, statuses: status.map { [$0] } ?? [], from: from, to: to,
                                            before: before, limit: Self.pageSize)
        let events = try await eventTitles(organizer)
        var next: String? = nil
        if found.count == Self.pageSize, let last = found.last {
            var components = URLComponents()
            let pairs: [(String, String)] = [
                ("q", text), ("status", status?.rawValue ?? ""), ("from", query["from"].map(String.init) ?? ""),
                ("to", query["to"].map(String.init) ?? ""), ("before", last.id.rawValue),
            ]
            components.queryItems = pairs.filter { !$0.1.isEmpty }.map { URLQueryItem(name: $0.0, value: $0.1) }
            next = "/backoffice/orders?" + (components.percentEncodedQuery ?? "")
        }
        return try site.page("backoffice_orders", [
            "title": "Orders", "q": text, "from": query["from"].map(String.init) ?? "", "to": query["to"].map(String.init) ?? "",
            "statuses": OrderStatus.allCases.map { ["value": $0.rawValue, "label": Self.label($0), "selected": $0 == status] },
            "orders": found.map { order in
                ["order_id": order.id.rawValue, "email": order.email, "name": order.buyerName ?? "", "total": order.total.description,
                 "status": Self.label(order.status), "event": events[order.eventID] ?? "", "placed": Self.utc(order.createdAt)] as [String: Any]
            },
            "none": found.isEmpty, "next": next ?? false,
        ], request: request, session: session)
    }

    private func eventTitles(_ organizer: OrganizerID) async throws -> [EventID: String] {
        Dictionary(try await catalog.events(organizer: organizer, after: nil, limit: 1000).map { ($0.id, $0.title) }) { first, _ in first }
    }

    /// `2026-12-01` as midnight UTC.
    static func day(_ text: String) -> Timestamp? {
        guard text.count == 10 else { return nil }
        return Timestamp(rfc3339: text + "T00:00:00Z")
    }

    /// "2026-12-01 18:42 UTC".
    static func utc(_ time: Timestamp) -> String {
        let text = time.rfc3339
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5)) + " UTC"
    }

    static func label(_ status: OrderStatus) -> String { status.rawValue.replacingOccurrences(of: "_", with: " ") }

    // MARK: One order

    private func show(_ request: Request, id: String, notice: String? = nil, error: String? = nil,
                      status: HTTPResponse.Status = .ok) async throws -> Response {
        let session = try await site.member(request, may: \.managesEvents)
        guard let organizer = session.member.organizerID, let orderID = OrderID(id),
              let order = try? await orders.find(orderID, organizer: organizer) else {
            return try site.notFound("No such order", "Check the order id.", request: request, session: session)
        }
        let (event, variants) = try await catalog.event(order.eventID, organizer: organizer)
        let names = Dictionary(variants.map { ($0.id, $0.name) }) { first, _ in first }
        let seats = try await tickets.forOrder(orderID, organizer: organizer)
        var filter = StatementFilter()
        filter.orderID = orderID
        let entries = try await statements.entries(of: organizer, filter: filter, after: nil, limit: 200).entries
        let refundRows = try await orders.refunds(orderID, organizer: organizer)
        let currency = order.total.currency
        let money = { (minor: Int64) in Money(minorUnits: minor, currency: currency).description }
        // Waiting too while the provider said yes but its webhook has not yet moved the order.
        let confirmed = refundRows.filter { $0.status == "succeeded" && $0.paymentReference == nil }.reduce(Int64(0)) { $0 + $1.amount }
        let waiting = refundRows.contains { $0.status == "requested" } || confirmed > order.refunded
        let refundable = (order.status == .paid || order.status == .partiallyRefunded) && order.total.minorUnits > order.refunded
        return try site.page("backoffice_order", [
            "title": "Order \(order.id)", "order_id": order.id.rawValue, "status": Self.label(order.status),
            "event_title": event.title, "event_id": event.id.rawValue, "email": order.email, "name": order.buyerName ?? "",
            "total": order.total.description, "refunded": money(order.refunded), "has_refunded": order.refunded > 0,
            "left": money(order.total.minorUnits - order.refunded), "provider": order.provider,
            "placed": Self.utc(order.createdAt), "paid": order.paidAt.map(Self.utc) ?? "not paid",
            "review_reason": order.reviewReason ?? false, "dispute_reason": order.disputeReason ?? false,
            "lines": order.lines.map { ["variant": names[$0.variantID] ?? $0.variantID.rawValue, "quantity": $0.quantity,
                                        "unit_price": money($0.unitPrice)] },
            "tickets": seats.map { ticket in
                ["ticket_id": ticket.id.rawValue, "seat": ticket.seat, "variant": names[ticket.variantID] ?? "",
                 "ticket_status": ticket.status.rawValue, "admitted": ticket.admittedAt.map(Self.utc) ?? "",
                 "refundable": ticket.status == .valid && refundable] as [String: Any]
            },
            "entries": entries.map { entry in
                ["type": entry.type.rawValue.replacingOccurrences(of: "_", with: " "), "booked": Self.utc(entry.bookedAt),
                 "gross": money(entry.gross), "fee": money(entry.fee), "net": money(entry.net)]
            },
            "refunds": refundRows.map { refund in
                ["amount": Currency(code: refund.currency).map { Money(minorUnits: refund.amount, currency: $0).description } ?? "\(refund.amount)",
                 "refund_status": refund.status == "requested" ? "waiting for the provider" : refund.status, "reason": refund.reason ?? "",
                 "error": refund.error ?? "", "requested": Self.utc(refund.createdAt)] as [String: Any]
            },
            "refundable": refundable, "currency": currency.code, "waiting": waiting,
            // Only a page fetched with GET reloads itself: reloading the answer to a POST would send the refund again.
            "script": waiting && request.method == .get ? "reload.js" : false,
            "notice": notice ?? (request.uri.queryParameters["refund"] == "asked" ? "Refund asked of the provider; this page shows its answer." : false),
            "error": error ?? false,
        ], request: request, session: session, status: status)
    }

    private func refund(_ request: Request, id: String, context: AppRequestContext) async throws -> Response {
        let session = try await site.member(request, may: \.refunds)
        let form = try await site.form(request, session: session)
        guard let organizer = session.member.organizerID, let orderID = OrderID(id),
              let order = try? await orders.find(orderID, organizer: organizer) else {
            return try await show(request, id: id)
        }
        let reason = (form["reason"] ?? "").trimmingCharacters(in: .whitespaces)
        var amount: Int64? = nil
        var chosen: [String] = []
        switch form["mode"] ?? "all" {
        case "amount":
            guard let money = Money(decimal: (form["amount"] ?? "").trimmingCharacters(in: .whitespaces), currency: order.total.currency),
                  money.minorUnits > 0 else {
                return try await show(request, id: id, error: "Amount must be a positive amount in \(order.total.currency.code), such as 12.50.",
                                      status: .unprocessableContent)
            }
            amount = money.minorUnits
        case "tickets":
            chosen = form.fields.keys.filter { $0.hasPrefix("ticket.") }.map { String($0.dropFirst("ticket.".count)) }.sorted()
            guard !chosen.isEmpty else {
                return try await show(request, id: id, error: "Choose the tickets to refund.", status: .unprocessableContent)
            }
        default:
            break
        }
        do {
            let requested = try await site.acting(session) {
                try await refunds.refund(orderID, organizer: organizer, amount: amount, reason: reason.isEmpty ? nil : reason, tickets: chosen)
            }
            _ = requested
            // Post, then redirect: the page that waits for the provider is a GET, safe to reload.
            return PageRenderer.redirect(to: "/backoffice/orders/\(orderID)?refund=asked")
        } catch {
            let problem = Problem.from(error, maxBodyBytes: site.web.maxBodyBytes, logger: context.logger)
            let fields = problem.errors.map { "\($0.field.capitalizedFirst) \($0.detail)." }.joined(separator: " ")
            return try await show(request, id: id, error: fields.isEmpty ? problem.detail.capitalizedFirst + "." : fields,
                                  status: problem.status)
        }
    }
}
