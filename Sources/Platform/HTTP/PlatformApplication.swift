import Hummingbird
import Logging
import PluginKit

/// What the HTTP API runs on; tests build it with their own database and clock.
public struct PlatformServices: Sendable {
    public let database: any Database
    public let clock: any WallClock
    public let config: PlatformConfig
    public let payments: PluginRegistry
    /// Ticketing, mail: what the server composes around the kernel.
    public var modules: [any PlatformModule] = []
    /// Wakes the inbox worker when a webhook is stored.
    public let inboxSignal = WakeSignal()
    /// Wakes the outbox dispatcher when a message is replayed.
    public let outboxSignal = WakeSignal()
    /// Sends the outbox; without one (tests of other things), mail stays queued.
    public var mailer: (any Mailer)?
    public var composer: MailComposer?
    /// Server-rendered pages; without them (API-only tests) no pages are served.
    public var pages: PageRenderer?
    public var logger = Logger(label: "platform")

    public init(database: any Database, clock: any WallClock = SystemClock(), config: PlatformConfig = PlatformConfig(),
                payments: PluginRegistry = PluginRegistry()) {
        self.database = database
        self.clock = clock
        self.config = config
        self.payments = payments
    }

    public var ingress: WebhookIngress {
        WebhookIngress(database: database, clock: clock, registry: payments, signal: inboxSignal, baseURL: config.baseURL)
    }
    /// The modules' observers, then the kernel's mail: tickets exist before any email about them.
    public var orderObserver: (any OrderLifecycleObserver)? {
        ObserverChain(observers: modules.compactMap(\.orderObserver) + [MailNotifier(from: config.mailFrom)])
    }
    public var refunds: RefundService {
        var service = RefundService(database: database, clock: clock, registry: payments, logger: logger)
        service.observer = orderObserver
        return service
    }
    public var signIn: BuyerSignIn {
        BuyerSignIn(database: database, clock: clock, baseURL: config.baseURL, mailFrom: config.mailFrom)
    }
    public var checkout: CheckoutService { CheckoutService(database: database, clock: clock, registry: payments, baseURL: config.baseURL) }
    public var inboxWorker: InboxWorker {
        var worker = InboxWorker(database: database, clock: clock, registry: payments, refunds: refunds, logger: logger)
        worker.observer = orderObserver
        return worker
    }
    public var outboxDispatcher: OutboxDispatcher? {
        guard let mailer, let composer else { return nil }
        return OutboxDispatcher(database: database, clock: clock, mailer: mailer, composer: composer, logger: logger)
    }
    public var expiryWorker: ExpiryWorker {
        var worker = ExpiryWorker(database: database, clock: clock, logger: logger)
        worker.webhookRetentionDays = config.webhookRetentionDays
        return worker
    }
}

/// The router with every route and middleware; `main` serves it and tests drive it directly.
public func buildRouter(_ services: PlatformServices, catalog routes: RouteCatalog = RouteCatalog()) -> Router<AppRequestContext> {
    _ = PlatformMetrics.registry
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ProblemMiddleware(maxBodyBytes: services.config.maxBodyBytes))

    let catalog = Catalog(database: services.database, clock: services.clock)
    let limit = services.config.maxBodyBytes
    let root = RouteRegistrar(group: router.group(), prefix: "", catalog: routes)
    let api = RouteRegistrar(group: router.group("api/v1"), prefix: "/api/v1", catalog: routes)
    let apiKeys = APIKeyCache(clock: services.clock)
    let authenticated = RouteRegistrar(
        group: router.group("api/v1").add(middleware: AuthMiddleware(database: services.database, cache: apiKeys)), prefix: "/api/v1",
        catalog: routes, apiKeys: apiKeys)

    OpsController(database: services.database).register(root: root, api: api)
    PublicEventController(catalog: catalog).register(api)
    CheckoutController(checkout: services.checkout, limiter: RateLimiter(limitPerMinute: services.config.checkoutRateLimit, clock: services.clock),
                       trustForwardedFor: services.config.trustForwardedFor, maxBodyBytes: limit).register(api)
    WebhookController(ingress: services.ingress, maxBodyBytes: limit).register(root)
    let signInLimiter = RateLimiter(limitPerMinute: services.config.signInRateLimit, clock: services.clock)
    BuyerSignInController(signIn: services.signIn, limiter: signInLimiter, trustForwardedFor: services.config.trustForwardedFor,
                          maxBodyBytes: limit).register(api)
    OrganizerController(catalog: catalog, maxBodyBytes: limit).register(authenticated)
    EventController(catalog: catalog, maxBodyBytes: limit).register(authenticated)
    OrderController(database: services.database, refunds: services.refunds, maxBodyBytes: limit).register(authenticated)
    AdminRefundController(database: services.database, refunds: services.refunds, maxBodyBytes: limit).register(authenticated)
    AdminWebhookController(database: services.database, clock: services.clock, signal: services.inboxSignal).register(authenticated)
    AdminOutboxController(database: services.database, clock: services.clock, signal: services.outboxSignal).register(authenticated)
    for module in services.modules {
        module.register(api: api, authenticated: authenticated)
    }
    if let pages = services.pages {
        let web = WebRoutes(group: router.group(), site: WebSite(pages: pages, signIn: services.signIn, maxBodyBytes: limit))
        SignInPages(site: web.site, limiter: signInLimiter, trustForwardedFor: services.config.trustForwardedFor).register(web)
        for module in services.modules { module.register(web: web) }
    }
    for provider in services.payments.all {
        provider.install(routes: PluginPages(group: router.group()), host: services.ingress)
    }
    return router
}

public func buildApplication(_ services: PlatformServices, logger: Logger, runWorkers: Bool = true,
                             onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
    Application(
        router: buildRouter(services),
        configuration: .init(address: .hostname(services.config.host, port: services.config.port), serverName: "platform"),
        services: runWorkers ? [PaymentWorkers(services: services), MailWorker(services: services)] : [],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? services.config.port) },
        logger: logger)
}
