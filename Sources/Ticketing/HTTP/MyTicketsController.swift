import Foundation
import Hummingbird
import Platform

/// "My tickets": every ticket bought with the signed-in address (a buyer session from the emailed
/// sign-in link), as JSON and as a page; and one order's page opened with its access token, which
/// the confirmation email links to.
struct MyTicketsController {
    let signIn: BuyerSignIn
    let tickets: Tickets
    /// The buyer's credit, shown beside the tickets.
    let wallets: Wallets
    let clock: any WallClock
    var baseURL: String { signIn.baseURL }

    func register(api: RouteRegistrar<AppRequestContext>) {
        api.on(.get, "public/my-tickets", use: list)
    }

    func register(web: WebRoutes) {
        let site = web.site
        web.on(.get, "my-tickets") { request, context in try await page(request, site: site) }
        web.on(.get, "my-tickets/orders/{id}") { request, context in try await orderPage(request, context: context, site: site) }
        web.on(.get, "my-tickets/orders/{id}/event.ics") { request, context in try await calendar(request, context: context, site: site) }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let token = request.buyerSessionToken, let session = try await signIn.session(token: token)
        else {
            throw Problem(.unauthorized, kind: "sign-in-required", title: "Sign-in required",
                          detail: "send the buyer session token from POST /api/v1/public/my-tickets/sessions as a Bearer token")
        }
        let orders = try await tickets.buyerOrders(email: session.email)
        var response = try JSONCoding.response(MyTicketsBody(email: session.email, expiresAt: session.expiresAt, orders: orders.map {
            BuyerOrderBody($0) { ticket in "\(baseURL)/api/v1/public/tickets/\(ticket.id)/qr.png" }
        }))
        response.headers[.cacheControl] = "no-store"
        return response
    }

    private func page(_ request: Request, site: WebSite) async throws -> Response {
        guard let session = try await site.buyerSession(request) else { return PageRenderer.redirect(to: "/my-tickets/sign-in") }
        let orders = try await tickets.buyerOrders(email: session.email)
        let wallet = try await wallets.statement(email: session.email)
        return try site.formPage("my_tickets", [
            "title": "My tickets", "email": session.email, "signed_in": true, "empty": orders.isEmpty,
            "orders": orders.map { $0.pageModel { ticket in "/api/v1/public/tickets/\(ticket.id)/qr.png" } },
            "credit": wallet.balances.isEmpty ? false : Self.creditModel(wallet) as Any,
        ], request: request)
    }

    /// The wallet's section of the page: each currency's balance, and the last 50 movements.
    static func creditModel(_ wallet: WalletStatement) -> [String: Any] {
        func money(_ minor: Int64, _ currency: Currency) -> String { Money(minorUnits: minor, currency: currency).description }
        return [
            "balances": wallet.balances.map { balance in
                ["available": money(balance.available, balance.currency),
                 "held": balance.held > 0 ? money(balance.held, balance.currency) : false,
                 "owed": balance.owed > 0 ? money(balance.owed, balance.currency) : false] as [String: Any]
            },
            "movements": wallet.movements.prefix(50).map { movement in
                ["at": LocalTime.text(movement.at, timezone: "UTC"), "what": describe(movement),
                 "amount": movement.amount != 0 ? (movement.amount > 0 ? "+" : "") + money(movement.amount, movement.currency) : "",
                 "owed": movement.owed != 0 ? money(movement.owed, movement.currency) + " owed" : false] as [String: Any]
            },
        ]
    }

    static func describe(_ movement: WalletMovement) -> String {
        let order = movement.orderID.map { " \($0)" } ?? ""
        return switch movement.reason {
        case "pack_purchased": "Credit pack bought"
        case "pack_bonus": "Credit pack bonus"
        case "order": "Paid for order\(order)"
        case "order_released": "Order\(order) ended unpaid: credit back"
        case "refund": "Refund of order\(order)"
        case "pack_refunded": "Credit pack refunded"
        case "pack_refund_reversed": "Credit pack refund undone"
        case "owed_settled": "Paid what was owed"
        case "expired": "Expired"
        case "pack_disputed": "Credit pack payment disputed at your bank"
        case "pack_dispute_won": "Credit pack dispute closed: credit back"
        default: movement.reason
        }
    }

    /// One order by its access token: the page a buyer comes back to from the provider and the
    /// confirmation email links to. While the order waits for payment the page asks for its status.
    private func orderPage(_ request: Request, context: AppRequestContext, site: WebSite) async throws -> Response {
        guard let (loaded, token) = try await order(request, context: context) else { return try site.notFound(Self.noOrder) }
        return try site.pages.response("order", loaded.orderPageModel(accessToken: token))
    }

    /// The order's event as an iCalendar file, the same one the confirmation email carries.
    private func calendar(_ request: Request, context: AppRequestContext, site: WebSite) async throws -> Response {
        guard let (loaded, _) = try await order(request, context: context) else { return try site.notFound(Self.noOrder) }
        let ics = EventCalendar.ics(loaded.event, organizer: loaded.organizerName, host: URLComponents(string: baseURL)?.host ?? "localhost",
                                    stamp: clock.now())
        return Response(status: .ok, headers: [
            .contentType: "text/calendar; charset=utf-8", .contentDisposition: "attachment; filename=\"event.ics\"", .cacheControl: "no-store",
        ], body: .init(byteBuffer: ByteBuffer(string: ics)))
    }

    static let noOrder = "No order at this address. Open the link in your confirmation email again, or sign in to My tickets."

    private func order(_ request: Request, context: AppRequestContext) async throws -> (BuyerOrder, String)? {
        guard let id = context.parameters.get("id").flatMap(OrderID.init), let token = try? request.orderAccessToken(orNotFound: "order")
        else { return nil }
        do {
            return try await tickets.buyerOrder(id, accessToken: token).first.map { ($0, token) }
        } catch let problem as Problem where problem.status == .notFound {
            return nil
        } catch PlatformError.notFound {
            return nil
        }
    }
}
