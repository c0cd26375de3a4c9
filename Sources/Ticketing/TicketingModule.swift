import PluginKit
import Platform

/// Tickets, QR codes and check-in as a platform module: `PlatformServer` adds it to the platform.
package struct TicketingModule: PlatformModule {
    package let keys: TicketKeyRing
    package let config: TicketingConfig
    let database: any Database
    let clock: any WallClock
    let confirmations: TicketMailSettings?
    package let checkin: CheckinService
    package let offline: OfflineService

    /// With `confirmations`, a paid order also queues its confirmation email with the tickets' QR codes.
    package init(database: any Database, clock: any WallClock, keys: TicketKeyRing, config: TicketingConfig,
                 confirmations: TicketMailSettings?) {
        self.database = database
        self.clock = clock
        self.keys = keys
        self.config = config
        self.confirmations = confirmations
        checkin = CheckinService(database: database, clock: clock, keys: keys, baseURL: config.baseURL)
        offline = OfflineService(database: database, clock: clock, keys: keys, baseURL: config.baseURL)
    }

    package var orderObservers: [any OrderLifecycleObserver] {
        [TicketLifecycle(keys: keys, validAfterEndSeconds: config.validAfterEndSeconds, confirmation: confirmations.map(OrderConfirmation.init))]
    }

    package var inlineImageRenderers: [any InlineImageRenderer] { [QRImageRenderer(modulePixels: config.qrModulePixels)] }

    package func register(_ routes: APIRoutes, platform: Platform) {
        let limit = platform.config.maxBodyBytes
        let limiter = RateLimiter(limitPerMinute: config.checkinRateLimit, clock: clock)
        let scanners = routes.authenticated.callers(ScannerContext.self)
        let tickets = Tickets(database: database, orders: platform.orders)
        TicketController(tickets: tickets, baseURL: platform.config.baseURL, modulePixels: config.qrModulePixels)
            .register(open: routes.open, organizer: routes.organizer)
        MyTicketsController(signIn: platform.signIn, tickets: tickets, wallets: platform.wallets, clock: clock).register(api: routes.open)
        CheckinController(checkin: checkin, limiter: limiter, maxBodyBytes: limit).register(scanners: scanners, organizer: routes.organizer)
        DeviceController(devices: Devices(database: database, clock: clock, apiKeys: platform.apiKeys), maxBodyBytes: limit)
            .register(routes.organizer)
        // Offline uploads can be large: up to 10,000 scans of about 400 bytes each.
        OfflineController(offline: offline, limiter: limiter, maxBodyBytes: max(limit, 8 << 20)).register(scanners)
    }

    package func register(web: WebRoutes, platform: Platform) {
        MyTicketsController(signIn: platform.signIn, tickets: Tickets(database: database, orders: platform.orders), wallets: platform.wallets,
                            clock: clock).register(web: web)
        let site = MemberSite(web: web.site, members: platform.members, trustForwardedFor: platform.config.trustForwardedFor)
        let devices = Devices(database: database, clock: clock, apiKeys: platform.apiKeys)
        DoorPages(site: site, devices: devices, catalog: platform.catalog).register(web)
        BoxOfficePages(site: site, catalog: platform.catalog, checkout: platform.checkout,
                       tickets: Tickets(database: database, orders: platform.orders), checkin: checkin).register(web)
        DevicePages(site: site, devices: devices, catalog: platform.catalog, baseURL: platform.config.baseURL).register(web)
    }
}
