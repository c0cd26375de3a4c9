import Hummingbird
import PluginKit

/// The router with every route and middleware; `buildApplication` serves it and tests drive it directly.
package func buildRouter(_ platform: Platform, catalog: RouteCatalog = RouteCatalog()) -> Router<AppRequestContext> {
    _ = PlatformMetrics.registry
    let config = platform.config
    let limit = config.maxBodyBytes
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ProblemMiddleware(maxBodyBytes: limit))
    router.add(middleware: MethodNotAllowedMiddleware(catalog: catalog))
    let routes = APIRoutes(router: router, auth: AuthMiddleware(keys: platform.apiKeys), catalog: catalog)
    let signInLimiter = RateLimiter(limitPerMinute: config.signInRateLimit, clock: platform.clock)
    let checkoutLimiter = RateLimiter(limitPerMinute: config.checkoutRateLimit, clock: platform.clock)

    OpsController(database: platform.database).register(root: routes.root, api: routes.open)
    PublicEventController(catalog: platform.catalog).register(routes.open)
    CheckoutController(checkout: platform.checkout, orders: platform.orders, signIn: platform.signIn,
                       limiter: checkoutLimiter,
                       trustForwardedFor: config.trustForwardedFor, maxBodyBytes: limit).register(routes.open)
    WalletController(wallets: platform.wallets, checkout: platform.checkout, signIn: platform.signIn, limiter: checkoutLimiter,
                     trustForwardedFor: config.trustForwardedFor, maxBodyBytes: limit).register(open: routes.open, admin: routes.admin)
    WebhookController(ingress: platform.ingress, maxBodyBytes: limit).register(routes.root)
    BuyerSignInController(signIn: platform.signIn, limiter: signInLimiter, trustForwardedFor: config.trustForwardedFor,
                          maxBodyBytes: limit).register(routes.open)
    OrganizerController(catalog: platform.catalog, payoutMethods: platform.payoutMethods, maxBodyBytes: limit).register(routes)
    EventController(catalog: platform.catalog, maxBodyBytes: limit).register(routes.organizer)
    OrderController(orders: platform.orders, refunds: platform.refunds, maxBodyBytes: limit).register(routes.organizer)
    AdminRefundController(refunds: platform.refunds, maxBodyBytes: limit).register(routes.admin)
    let statements = Statements(database: platform.database)
    LedgerController(balances: platform.balances, statements: statements).register(organizer: routes.organizer, admin: routes.admin)
    PayoutController(payouts: platform.payouts, methods: platform.payoutMethods,
                     resolution: PayoutResolution(database: platform.database, clock: platform.clock, mailFrom: config.mailFrom),
                     database: platform.database, statements: statements,
                     maxBodyBytes: limit).register(organizer: routes.organizer, admin: routes.admin)
    AuditLogController(database: platform.database).register(organizer: routes.organizer, admin: routes.admin)
    WebhookEndpointController(endpoints: platform.webhookEndpoints, maxBodyBytes: limit).register(routes.organizer)
    TriageController(triage: platform.inboxTriage, path: "webhooks", defaultStatuses: [.dead, .failed], body: WebhookBody.init)
        .register(routes.admin)
    TriageController(triage: platform.outboxTriage, path: "outbox", defaultStatuses: [.dead], body: OutboxBody.init)
        .register(routes.admin)
    for module in platform.modules { module.register(routes, platform: platform) }
    if let pages = platform.pages {
        let web = WebRoutes(group: router.group(), site: WebSite(pages: pages, signIn: platform.signIn, maxBodyBytes: limit))
        // Browsers ask for it on pages that name no icon (a provider's page); nothing, rather than a 404.
        web.on(.get, "favicon.ico") { _, _ in Response(status: .noContent, headers: [.cacheControl: "public, max-age=86400"]) }
        web.on(.get, "static/{name}") { request, context in try pages.assets.response(context.parameters.get("name") ?? "", request: request) }
        SignInPages(site: web.site, limiter: signInLimiter, trustForwardedFor: config.trustForwardedFor).register(web)
        ShopPages(site: web.site, catalog: platform.catalog, checkout: platform.checkout, orders: platform.orders,
                  providers: platform.providers, wallets: platform.wallets, limiter: checkoutLimiter,
                  trustForwardedFor: config.trustForwardedFor).register(web)
        CreditPages(site: web.site, wallets: platform.wallets, checkout: platform.checkout, orders: platform.orders,
                    providers: platform.providers, limiter: checkoutLimiter, trustForwardedFor: config.trustForwardedFor).register(web)
        for module in platform.modules { module.register(web: web, platform: platform) }
    }
    for provider in platform.providers.all {
        provider.install(routes: PluginPages(group: router.group()), host: platform.ingress)
    }
    return router
}

/// The server with the platform's workers beside it (unless `runWorkers` is false, as for a
/// benchmark's ingest phase); `onServerRunning` is told the port it listens on.
package func buildApplication(_ platform: Platform, runWorkers: Bool = true,
                              onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
    if runWorkers, platform.outbox == nil { platform.logger.info("mail worker off", metadata: ["reason": "no mailer configured"]) }
    return Application(
        router: buildRouter(platform),
        configuration: .init(address: .hostname(platform.config.host, port: platform.config.port), serverName: "platform"),
        services: runWorkers ? platform.workers : [],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? platform.config.port) },
        logger: platform.logger)
}
