import Hummingbird
import Logging
import PluginKit
import SQLKit

/// The one way a webhook gets in: the provider verifies it over the raw bytes, then the event is
/// stored once per (provider, event id) and the inbox worker is woken. Nothing else happens here.
struct WebhookIngress: PaymentHost {
    package let database: any Database
    package let clock: any WallClock
    package let providers: PaymentProviders
    let signal: WakeSignal
    package let baseURL: String
    let capture: PaymentCapture

    /// True when the event is new; false for a repeat delivery, which is just as welcome.
    @discardableResult
    package func receive(provider id: String, body: ByteBuffer, headers: HTTPFields) async throws -> Bool {
        try await receive(provider: id, [WebhookDelivery(body: body, headers: headers)])
    }

    func deliverWebhook(provider: String, body: ByteBuffer, headers: HTTPFields) async throws {
        try await receive(provider: provider, body: body, headers: headers)
    }

    func deliverWebhooks(provider: String, _ deliveries: [WebhookDelivery]) async throws {
        _ = try await receive(provider: provider, deliveries)
    }

    /// A buyer's return names the order in a link anyone may forge: a mismatch is not found.
    func capture(provider: String, order: OrderID, session: String) async throws -> PaymentCommand? {
        do {
            return try await capture.capture(provider: provider, order: order, session: session)
        } catch is WebhookPayloadError {
            throw PageProblem.notFound("order")
        }
    }

    /// Verifies every delivery, then stores them in one transaction; true when any was new.
    private func receive(provider id: String, _ deliveries: [WebhookDelivery]) async throws -> Bool {
        guard let provider = providers.provider(id) else { throw PlatformError.notFound("payment provider") }
        let now = clock.now()
        var verified: [(WebhookEnvelope, InboxStatus)] = []
        for delivery in deliveries {
            let envelope = try await provider.verifyWebhook(body: delivery.body, headers: delivery.headers, now: now)
            verified.append((envelope, provider.handler(for: envelope.eventType) == nil ? .ignored : .pending))
        }
        // In event id order, so that two batches sharing events lock them in the same order.
        let (engine, envelopes) = (database.engine, verified.sorted { $0.0.eventID < $1.0.eventID })
        let store = { @Sendable (sql: any SQLDatabase) async throws -> (Bool, Bool) in
            let inbox = WebhookInboxRepository(sql, engine: engine)
            var (stored, pending) = (false, false)
            for (envelope, status) in envelopes {
                let new = try await inbox.insert(id: .generate(at: now), provider: id, envelope: envelope, status: status, at: now)
                (stored, pending) = (stored || new, pending || (new && status == .pending))
            }
            return (stored, pending)
        }
        // One delivery (every provider's webhook) is one statement, its own transaction: no BEGIN
        // and COMMIT round trips around it.
        let (stored, pending) = envelopes.count == 1 ? try await database.autocommit(store) : try await database.transaction(store)
        if pending { signal.wake() }
        return stored
    }
}
