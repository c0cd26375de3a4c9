import Crypto
import Foundation
import Hummingbird
import PluginKit

/// The credit shop: the packs on sale (`/credit`), each bought through a provider with the same
/// `Checkout.buy` as `POST /api/v1/public/credit-packs/{id}/orders`, and the purchase's page the
/// provider sends the buyer back to (`/credit/orders/{id}?token=`), which waits for the payment.
package struct CreditPages {
    let site: WebSite
    let wallets: Wallets
    let checkout: Checkout
    let orders: Orders
    let providers: PaymentProviders
    let limiter: RateLimiter
    let trustForwardedFor: Bool

    func register(_ web: WebRoutes) {
        web.on(.get, "credit") { request, _ in try await shop(request) }
        web.on(.post, "credit/packs/{id}", use: buy)
        web.on(.get, "credit/orders/{id}") { request, context in try await purchase(request, id: context.parameters.get("id")) }
    }

    /// The providers a pack can be bought with: any but credit itself.
    private var payable: [any PaymentProvider] { providers.all.filter { $0.id != Checkout.creditProvider } }

    private func shop(_ request: Request, email typed: String? = nil, problem: (title: String, detail: String)? = nil,
                      status: HTTPResponse.Status = .ok) async throws -> Response {
        let session = try await site.buyerSession(request)
        let packs = try await wallets.packs(activeOnly: true)
        var balances: [WalletBalance] = []
        if let session { balances = try await wallets.balances(email: session.email) }
        let methods: [[String: Any]] = payable.map { ["provider_id": $0.id, "provider_name": $0.displayName, "checked": payable.count == 1] }
        return try site.formPage("credit", [
            "title": "Buy credit", "email": typed ?? session?.email ?? "", "signed_in": session != nil, "has_packs": !packs.isEmpty,
            "balances": balances.map { ["available": Money(minorUnits: $0.available, currency: $0.currency).description] },
            "packs": packs.map { pack in Self.model(of: pack, providers: methods) },
            "problem": problem != nil, "problem_title": problem?.title ?? "", "problem_detail": problem?.detail ?? "",
        ], request: request, status: status)
    }

    private static func model(of pack: CreditPack, providers: [[String: Any]]) -> [String: Any] {
        let currency = pack.price.currency
        let bonus = pack.credit - pack.price.minorUnits
        return [
            "pack_id": pack.id.rawValue, "name": pack.name, "price": pack.price.description,
            "credit": Money(minorUnits: pack.credit, currency: currency).description,
            "bonus": bonus > 0 ? Money(minorUnits: bonus, currency: currency).description : false,
            "expires_days": pack.expiresDays.map { "\($0)" } ?? false, "key": ShopPages.newKey(), "providers": providers,
        ]
    }

    @Sendable func buy(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await WebForm.read(request, limit: site.maxBodyBytes)
        let email = (form["email"] ?? "").trimmingCharacters(in: .whitespaces)
        guard let pack = context.parameters.get("id").flatMap(CreditPackID.init) else {
            return try site.notFound("This credit pack is not on sale any more.")
        }
        let key = form["idempotency_key"] ?? ""
        guard form.hasValidCSRF(request), (16...64).contains(key.count) else {
            return try await shop(request, email: email, problem: ("This form expired.", "Please check it and send it again."), status: .forbidden)
        }
        do {
            try limiter.enforce(request.clientAddress(context, trustForwardedFor: trustForwardedFor), counting: "orders", per: "one client")
            let input = PackPurchaseInput(pack: pack, email: email, provider: form["provider"])
            // One purchase per form and content: a second click replays the first.
            let hash = SHA256.hash(data: Data([pack.rawValue, email, form["provider"] ?? ""].joined(separator: "\n").utf8)).hexString
            let answer = try await checkout.buy(input, idempotency: IdempotentRequest(scope: "credit-page:\(pack)", key: key + "." + hash.prefix(16),
                                                                                      requestHash: hash))
            let placed = try answer.placedOrder()
            return PageRenderer.redirect(to: placed.checkoutURL ?? Checkout.packPurchasePath(placed.id, accessToken: placed.accessToken))
        } catch {
            let problem = Problem.from(error, maxBodyBytes: site.maxBodyBytes, logger: context.logger)
            let detail = problem.errors.isEmpty ? problem.detail : problem.errors.map { "\($0.field.capitalizedFirst) \($0.detail)." }.joined(separator: " ")
            return try await shop(request, email: email, problem: ShopPages.explain(problem).title == "Please check the form."
                ? ("Please check the form.", detail) : ShopPages.explain(problem), status: problem.status)
        }
    }

    private func purchase(_ request: Request, id: String?) async throws -> Response {
        let missing = "No credit purchase at this address. Open the link from your payment again, or sign in to My tickets."
        guard let id = id.flatMap(OrderID.init), let token = request.uri.queryParameters["token"].map(String.init), !token.isEmpty,
              let order = try? await orders.find(id, accessToken: token), let packID = order.creditPackID,
              let pack = try await wallets.pack(packID) else {
            return try site.notFound(missing)
        }
        let credit = Money(minorUnits: pack.credit, currency: pack.price.currency).description
        return try site.pages.response("credit_order", [
            "title": "Credit purchase", "pack": pack.name, "credit": credit, "price": order.total.description, "email": order.email,
            "order_id": order.id.rawValue, "status": order.status.rawValue,
            "poll_url": "/api/v1/public/orders/\(order.id)?token=" + URLForm.escape(token),
            "waiting": order.status == .pending, "checkout_url": order.payableCheckoutURL ?? false,
            "paid": order.status == .paid || order.status == .partiallyRefunded, "refunded": order.status == .refunded,
            "ended": [.expired, .failed, .cancelled].contains(order.status), "review": order.status == .review,
            "script": "order.js",
        ])
    }
}
