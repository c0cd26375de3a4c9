import Foundation
import Hummingbird
import Platform
import PluginKit

/// Selling at the door (`/door/box-office/{event}`), for door staff and owners: tickets paid in
/// cash or at the organizer's card terminal become an order paid at once (`CheckoutInput.boxOffice`),
/// admitted at once unless the buyer takes them by email. The money stays with the organizer, so
/// the ledger books only the platform's fee, as owed, and the next payout pays it back.
struct BoxOfficePages {
    let site: MemberSite
    let catalog: Catalog
    let checkout: Checkout
    let tickets: Tickets
    let checkin: CheckinService

    static let mayUse: @Sendable (MemberRole) -> Bool = { $0 == .door || $0 == .owner }

    func register(_ web: WebRoutes) {
        web.on(.get, "door/box-office/{id}") { request, context in
            try await site.guarded { try await show(request, event: context.parameters.get("id") ?? "") }
        }
        web.on(.post, "door/box-office/{id}") { request, context in
            try await site.guarded { try await sell(request, event: context.parameters.get("id") ?? "", context: context) }
        }
    }

    private func load(_ text: String, session: Members.Session) async throws -> (Event, [TicketVariant])? {
        guard let organizer = session.member.organizerID, let id = EventID(text),
              let (event, variants) = try? await catalog.event(id, organizer: organizer), event.status == .live else { return nil }
        return (event, variants.filter { $0.status == .live || $0.status == .soldOut })
    }

    private func show(_ request: Request, event text: String, session given: Members.Session? = nil, typed: OrderForm? = nil,
                      sold: [String: Any]? = nil, problem: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let session = try await site.member(request, given: given, may: Self.mayUse)
        guard let (event, variants) = try await load(text, session: session) else {
            return try site.notFound("No such live event", "Check the address.", request: request, session: session)
        }
        let form = typed ?? OrderForm(key: ShopPages.newKey())
        let now = catalog.clock.now()
        return try site.page("box_office", [
            "title": "Box office · \(event.title)", "event_id": event.id.rawValue, "event_title": event.title,
            "idempotency_key": form.key ?? ShopPages.newKey(), "email": form.email, "name": form.name,
            "variants": variants.map { variant in
                let cap = min(variant.maxPerOrder ?? 20, variant.available)
                return [
                    "variant_id": variant.id.rawValue, "variant_name": variant.name,
                    "price": Money(minorUnits: variant.price, currency: event.currency).description, "available": variant.available,
                    "on_sale": variant.status == .live && cap > 0 && (variant.salesEnd.map { now < $0 } ?? true),
                    "options": (0...max(cap, 0)).map { ["value": $0, "selected": String($0) == (form.quantities[variant.id.rawValue] ?? "0")] },
                ] as [String: Any]
            },
            "sold": sold ?? false, "problem": problem ?? false,
        ], request: request, session: session, status: status)
    }

    private func sell(_ request: Request, event text: String, context: AppRequestContext) async throws -> Response {
        let session = try await site.member(request, may: Self.mayUse)
        let submitted = try await site.form(request, session: session)
        guard let organizer = session.member.organizerID, let (event, variants) = try await load(text, session: session) else {
            return try await show(request, event: text, session: session)
        }
        var typed = OrderForm(submitted)
        guard let pageKey = typed.key else { return try await show(request, event: text, session: session, problem: "This form expired; send it again.") }
        let payment = submitted["payment"] == "card" ? "card" : "cash"
        let emailed = !typed.email.isEmpty
        // Without the buyer's address the order is the seller's: the confirmation is their receipt.
        if typed.email.isEmpty { typed.email = session.member.email }
        var input = typed.input(eventID: event.id)
        input.provider = nil
        input.boxOffice = payment
        let hash = typed.requestHash + payment
        do {
            let answer = try await site.acting(session) {
                try await checkout.place(input, idempotency: IdempotentRequest(scope: "box-office:\(event.id)", key: pageKey + "." + hash.prefix(16),
                                                                               requestHash: hash))
            }
            let (orderID, token, _) = try answer.placedOrder()
            let issued = try await tickets.forOrder(orderID, organizer: organizer)
            let names = Dictionary(variants.map { ($0.id, $0.name) }) { first, _ in first }
            var admitted = 0
            if submitted["admit"] == "1" {
                let scanner = Scanner(organizer: organizer, device: "box office (\(session.member.email))", event: event.id)
                for ticket in issued {
                    let answer = try ScanAnswer(json: try await checkin.scan(ticket: ticket.id, by: scanner, nonce: "box-office-\(ticket.id)"))
                    if answer.result == .admitted { admitted += 1 }
                }
            }
            let total = issued.reduce(Int64(0)) { $0 + $1.unitPrice }
            return try await show(request, event: text, session: session, sold: [
                "order_id": orderID.rawValue, "count": issued.count, "payment": payment == "card" ? "card terminal" : "cash",
                "total": Money(minorUnits: total, currency: event.currency).description, "admitted": admitted,
                "emailed": emailed ? typed.email : false, "order_page": "/my-tickets/orders/\(orderID)?token=\(URLForm.escape(token))",
                "tickets": issued.map { ticket in
                    ["seat": ticket.seat, "variant": names[ticket.variantID] ?? "",
                     "qr": "data:image/png;base64," + ((try? QRCode.png(for: ticket.token, scale: 4)).map { Data($0).base64EncodedString() } ?? "")]
                },
            ])
        } catch {
            let problem = Problem.from(error, maxBodyBytes: site.web.maxBodyBytes, logger: context.logger)
            let fields = problem.errors.map { "\($0.field.replacingOccurrences(of: "_", with: " ").capitalizedFirst) \($0.detail)." }.joined(separator: " ")
            typed.key = ShopPages.newKey()
            typed.email = emailed ? typed.email : ""
            return try await show(request, event: text, session: session, typed: typed,
                                  problem: fields.isEmpty ? problem.detail.capitalizedFirst + "." : fields, status: problem.status)
        }
    }
}
