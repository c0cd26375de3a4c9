import Hummingbird
import PluginKit

/// Buyer credit: packs (admins define them, buyers buy them), the buyer's wallet, and the admin's
/// view of wallets and shortfalls.
struct WalletController {
    let wallets: Wallets
    let checkout: Checkout
    let signIn: BuyerSignIn
    let limiter: RateLimiter
    let trustForwardedFor: Bool
    let maxBodyBytes: Int

    func register(open: RouteRegistrar<AppRequestContext>, admin: RouteRegistrar<AdminContext>) {
        open.on(.get, "public/credit-packs", use: activePacks)
        open.on(.post, "public/credit-packs/{id}/orders", use: buy)
        open.on(.get, "public/wallet", use: wallet)
        admin.on(.post, "admin/credit-packs", use: createPack)
        admin.on(.get, "admin/credit-packs", use: allPacks)
        admin.on(.patch, "admin/credit-packs/{id}", use: updatePack)
        admin.on(.get, "admin/wallets", use: adminWallets)
    }

    @Sendable func activePacks(_ request: Request, context: AppRequestContext) async throws -> Response {
        try JSONCoding.response(ListBody(data: try await wallets.packs(activeOnly: true).map(CreditPackBody.init), nextCursor: nil))
    }

    @Sendable func buy(_ request: Request, context: AppRequestContext) async throws -> Response {
        try limiter.enforce(request.clientAddress(context, trustForwardedFor: trustForwardedFor), counting: "orders", per: "one client")
        let pack = try context.pathID(CreditPackID.self)
        return try await CheckoutController.underIdempotencyKey(request, context: context, scope: "credit-pack:\(pack)", keys: checkout.keys,
                                                                maxBodyBytes: maxBodyBytes) { body, idempotency in
            let fields = try RequestFields.parse(body)
            let input = PackPurchaseInput(pack: pack, email: fields.required(fields.string("email"), "email", placeholder: ""),
                                          provider: fields.required(fields.string("provider"), "provider", placeholder: ""))
            try fields.finish()
            return try await checkout.buy(input, idempotency: idempotency)
        }
    }

    /// The wallet of the buyer session sent as Bearer (or the My tickets cookie): reading it changes nothing.
    @Sendable func wallet(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let token = request.buyerSessionToken else { throw Problem.unauthorized("send a buyer session (sign in to My tickets) as Authorization: Bearer") }
        guard let session = try await signIn.session(token: token) else {
            throw Problem.unauthorized("the buyer session has ended or does not exist: sign in to My tickets again")
        }
        var response = try JSONCoding.response(WalletBody(try await wallets.statement(email: session.email)))
        response.headers[.cacheControl] = "no-store"
        return response
    }

    @Sendable func createPack(_ request: Request, context: AdminContext) async throws -> Response {
        let fields = try await RequestFields.read(request, limit: maxBodyBytes)
        let input = Wallets.PackInput(
            name: fields.required(fields.string("name"), "name", placeholder: ""),
            price: fields.required(fields.integer("price"), "price", placeholder: 1),
            currency: fields.required(fields.string("currency"), "currency", placeholder: "EUR"),
            credit: fields.required(fields.integer("credit"), "credit", placeholder: 1),
            active: fields.optional(fields.boolean("active"), "active") ?? true,
            expiresDays: fields.optional(fields.integer("expires_days"), "expires_days").map { Int(clamping: $0) })
        try fields.finish()
        return try JSONCoding.response(CreditPackBody(try await wallets.createPack(input)), status: .created)
    }

    @Sendable func allPacks(_ request: Request, context: AdminContext) async throws -> Response {
        try JSONCoding.response(ListBody(data: try await wallets.packs(activeOnly: false).map(CreditPackBody.init), nextCursor: nil))
    }

    @Sendable func updatePack(_ request: Request, context: AdminContext) async throws -> Response {
        let id = try context.pathID(CreditPackID.self)
        let fields = try await RequestFields.read(request, limit: maxBodyBytes)
        let active = fields.required(fields.boolean("active"), "active", placeholder: true)
        try fields.finish()
        return try JSONCoding.response(CreditPackBody(try await wallets.setActive(id, active)))
    }

    @Sendable func adminWallets(_ request: Request, context: AdminContext) async throws -> Response {
        let page = try Page(request)
        let owing = try request.flag("owing")
        let rows = try await wallets.balances(after: try page.cursor(WalletID.self), limit: page.limit, owing: owing)
        let body = rows.map {
            AdminWalletBody(walletId: $0.wallet.rawValue, email: $0.email, currency: $0.balance.currency.code, available: $0.balance.available,
                            held: $0.balance.held, owed: $0.balance.owed)
        }
        let walletsOnPage = Set(rows.map(\.wallet)).count
        return try JSONCoding.response(ListBody(data: body, nextCursor: walletsOnPage == page.limit ? rows.last?.wallet.rawValue : nil))
    }
}
