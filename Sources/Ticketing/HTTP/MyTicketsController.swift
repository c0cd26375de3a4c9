import Foundation
import Hummingbird
import Platform

/// "My tickets": every ticket bought with the signed-in address (a buyer session from the emailed
/// sign-in link), as JSON and as a page; and one order's page opened with its access token, which
/// the confirmation email links to.
struct MyTicketsController {
    let signIn: BuyerSignIn
    let tickets: Tickets
    var baseURL: String { signIn.baseURL }

    func register(api: RouteRegistrar<AppRequestContext>) {
        api.on(.get, "public/my-tickets", use: list)
    }

    func register(web: WebRoutes) {
        let site = web.site
        web.on(.get, "my-tickets") { request, context in try await page(request, site: site) }
        web.on(.get, "my-tickets/orders/{id}") { request, context in try await orderPage(request, context: context, site: site) }
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
        return try site.formPage("my_tickets", [
            "title": "My tickets", "email": session.email, "signed_in": true, "empty": orders.isEmpty,
            "orders": orders.map { $0.pageModel { ticket in "/api/v1/public/tickets/\(ticket.id)/qr.png" } },
        ], request: request)
    }

    /// One order by its access token: the page a confirmation email links to.
    private func orderPage(_ request: Request, context: AppRequestContext, site: WebSite) async throws -> Response {
        let token = try request.orderAccessToken(orNotFound: "order")
        let loaded = try await tickets.buyerOrder(try context.pathID(OrderID.self), accessToken: token)
        let query = URLForm.escape(token)
        return try site.pages.response("my_tickets", [
            "title": "Your tickets", "signed_in": false, "empty": loaded.isEmpty,
            "orders": loaded.map { $0.pageModel { ticket in "/api/v1/public/tickets/\(ticket.id)/qr.png?token=\(query)" } },
        ])
    }
}
