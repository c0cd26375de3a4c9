import Hummingbird
import PluginKit
import SQLKit

/// A part of the platform outside the kernel (tickets, mail) that adds routes and follows orders.
/// `PlatformServer` composes modules into `PlatformServices`; the kernel knows only this protocol.
public protocol PlatformModule: Sendable {
    /// `api` routes are public under /api/v1; `authenticated` ones sit behind the API-key check.
    func register(api: RouteRegistrar, authenticated: RouteRegistrar)
    /// Server-rendered pages at the root (the buyer's "My tickets").
    func register(web: WebRoutes)
    /// Told of paid, refunded and cancelled orders inside the transaction that changes them.
    var orderObserver: (any OrderLifecycleObserver)? { get }
    /// Draw the inline images of this module's emails (a ticket's QR code).
    var inlineImageRenderers: [any InlineImageRenderer] { get }
}

extension PlatformModule {
    public func register(web: WebRoutes) {}
    public var inlineImageRenderers: [any InlineImageRenderer] { [] }
}

/// Observers of several modules, told in turn; a refund's named items belong to the first that values them.
struct ObserverChain: OrderLifecycleObserver {
    let observers: [any OrderLifecycleObserver]

    func handle(_ event: OrderLifecycleEvent, at time: Timestamp, on sql: any SQLDatabase) async throws {
        for observer in observers { try await observer.handle(event, at: time, on: sql) }
    }

    func refundValue(of items: [String], in order: Order, on sql: any SQLDatabase) async throws -> Int64 {
        guard let first = observers.first else { throw ValidationFailure(field: "tickets", "tickets cannot be named on this platform") }
        return try await first.refundValue(of: items, in: order, on: sql)
    }
}
