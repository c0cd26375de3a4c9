import Hummingbird
import Logging

/// What the HTTP API runs on; tests build it with their own database and clock.
public struct PlatformServices: Sendable {
    public let database: any Database
    public let clock: any WallClock
    public let config: PlatformConfig

    public init(database: any Database, clock: any WallClock = SystemClock(), config: PlatformConfig = PlatformConfig()) {
        self.database = database
        self.clock = clock
        self.config = config
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
    let authenticated = RouteRegistrar(
        group: router.group("api/v1").add(middleware: AuthMiddleware(database: services.database)), prefix: "/api/v1", catalog: routes)

    OpsController(database: services.database).register(root: root, api: api)
    PublicEventController(catalog: catalog).register(api)
    OrganizerController(catalog: catalog, maxBodyBytes: limit).register(authenticated)
    EventController(catalog: catalog, maxBodyBytes: limit).register(authenticated)
    return router
}

public func buildApplication(_ services: PlatformServices, logger: Logger,
                             onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
    Application(
        router: buildRouter(services),
        configuration: .init(address: .hostname(services.config.host, port: services.config.port), serverName: "platform"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? services.config.port) },
        logger: logger)
}
