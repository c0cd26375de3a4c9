import PluginKit

/// A part of the platform outside the kernel (tickets and check-in) that adds routes and pages,
/// follows orders and draws its emails' images. Only `PlatformServer` chooses modules; the kernel
/// knows them through this protocol alone.
package protocol PlatformModule: Sendable {
    /// Adds the module's API routes to the groups that say who may call them; `platform` offers
    /// the kernel's shared use cases (orders, buyer sign-in, the API key cache).
    func register(_ routes: APIRoutes, platform: Platform)
    /// Server-rendered pages at the root (the buyer's "My tickets").
    func register(web: WebRoutes, platform: Platform)
    /// Told, in this order, of paid orders and refunds (`OrderLifecycleEvent`) inside the transaction that records them.
    var orderObservers: [any OrderLifecycleObserver] { get }
    /// Draw the inline images of this module's emails (a ticket's QR code).
    var inlineImageRenderers: [any InlineImageRenderer] { get }
}

extension PlatformModule {
    package func register(web: WebRoutes, platform: Platform) {}
    package var orderObservers: [any OrderLifecycleObserver] { [] }
    package var inlineImageRenderers: [any InlineImageRenderer] { [] }
}
