import Platform
import Ticketing

/// The organizer's back office at `/backoffice`: members who sign in with a password, the
/// dashboard, members and API keys. `PlatformServer` adds it to the platform like Ticketing.
package struct BackofficeModule: PlatformModule {
    package init() {}

    package func register(_ routes: APIRoutes, platform: Platform) {}

    package func register(web: WebRoutes, platform: Platform) {
        let config = platform.config
        let site = MemberSite(web: web.site, members: platform.members, trustForwardedFor: config.trustForwardedFor)
        MemberSignInPages(site: site, perClient: RateLimiter(limitPerMinute: config.signInRateLimit, clock: platform.clock),
                          perAddress: RateLimiter(limitPerMinute: config.signInRateLimit, clock: platform.clock)).register(web)
        DashboardPage(site: site, catalog: platform.catalog).register(web)
        MemberPages(site: site, members: platform.members).register(web)
        APIKeyPages(site: site, catalog: platform.catalog, keys: platform.apiKeys).register(web)
        EventPages(site: site, catalog: platform.catalog).register(web)
        AdminPages(site: site, platform: platform).register(web)
        AdminCreditPages(site: site, platform: platform).register(web)
        MoneyPages(site: site, balances: platform.balances, statements: Statements(database: platform.database)).register(web)
        OrderPages(site: site, orders: platform.orders, refunds: platform.refunds, catalog: platform.catalog,
                   tickets: Tickets(database: platform.database, orders: platform.orders),
                   statements: Statements(database: platform.database)).register(web)
    }
}
