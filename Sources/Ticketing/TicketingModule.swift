import Hummingbird
import Platform

/// Tickets, QR codes and check-in as a platform module: `PlatformServer` adds it to the services.
public struct TicketingModule: PlatformModule {
    public let keys: TicketKeyRing
    public let config: TicketingConfig
    let database: any Database
    let clock: any WallClock
    let baseURL: String
    let mailFrom: String
    let maxBodyBytes: Int

    public init(database: any Database, clock: any WallClock, keys: TicketKeyRing, config: TicketingConfig, platform: PlatformConfig) {
        self.database = database
        self.clock = clock
        self.keys = keys
        self.config = config
        self.baseURL = platform.baseURL
        self.mailFrom = platform.mailFrom
        self.maxBodyBytes = platform.maxBodyBytes
    }

    public var checkin: CheckinService { CheckinService(database: database, clock: clock, keys: keys) }
    public var offline: OfflineService { OfflineService(database: database, clock: clock, keys: keys) }
    /// On: paid orders queue a confirmation email with the tickets' QR codes.
    public var queuesConfirmations = false
    public var orderObserver: (any OrderLifecycleObserver)? {
        TicketIssuer(keys: keys, validAfterEndSeconds: config.validAfterEndSeconds,
                     mail: queuesConfirmations ? TicketMailSettings(from: mailFrom, baseURL: baseURL) : nil)
    }
    public var inlineImageRenderers: [any InlineImageRenderer] { [QRImageRenderer(modulePixels: config.qrModulePixels)] }

    public func register(api: RouteRegistrar, authenticated: RouteRegistrar) {
        let limiter = RateLimiter(limitPerMinute: config.checkinRateLimit, clock: clock)
        TicketController(database: database, clock: clock, baseURL: baseURL, modulePixels: config.qrModulePixels)
            .register(api: api, authenticated: authenticated)
        myTickets.register(api: api)
        CheckinController(database: database, checkin: checkin, limiter: limiter, maxBodyBytes: maxBodyBytes).register(authenticated)
        DeviceController(database: database, clock: clock, maxBodyBytes: maxBodyBytes).register(authenticated)
        // Offline uploads can be large: up to 10,000 scans of about 400 bytes each.
        OfflineController(offline: offline, limiter: limiter, maxBodyBytes: max(maxBodyBytes, 8 << 20)).register(authenticated)
    }

    public func register(web: WebRoutes) {
        myTickets.register(web: web)
    }

    private var myTickets: MyTicketsController {
        MyTicketsController(signIn: BuyerSignIn(database: database, clock: clock, baseURL: baseURL, mailFrom: mailFrom))
    }
}
