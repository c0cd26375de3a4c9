import Hummingbird
import Logging
import PluginKit

/// The one way a webhook gets in: the provider verifies it over the raw bytes, then the event is
/// stored once per (provider, event id) and the inbox worker is woken. Nothing else happens here.
struct WebhookIngress: PaymentHost {
    package let database: any Database
    package let clock: any WallClock
    package let providers: PaymentProviders
    let signal: WakeSignal
    package let baseURL: String

    /// True when the event is new; false for a repeat delivery, which is just as welcome.
    @discardableResult
    package func receive(provider id: String, body: ByteBuffer, headers: HTTPFields) async throws -> Bool {
        guard let provider = providers.provider(id) else { throw PlatformError.notFound("payment provider") }
        let now = clock.now()
        let envelope = try await provider.verifyWebhook(body: body, headers: headers, now: now)
        let status: InboxStatus = provider.handler(for: envelope.eventType) == nil ? .ignored : .pending
        let stored = try await database.transaction { sql in
            try await WebhookInboxRepository(sql, engine: database.engine)
                .insert(id: .generate(at: now), provider: id, envelope: envelope, status: status, at: now)
        }
        if stored && status == .pending { signal.wake() }
        return stored
    }

    func deliverWebhook(provider: String, body: ByteBuffer, headers: HTTPFields) async throws {
        try await receive(provider: provider, body: body, headers: headers)
    }
}
