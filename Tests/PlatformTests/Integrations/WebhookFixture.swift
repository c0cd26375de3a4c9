import Foundation
import Platform
import PlatformTesting
import Testing

/// A checkout harness whose platform may send webhooks to loopback (ALLOW_HTTP_WEBHOOKS) and
/// resolves names from a table the test controls.
enum WebhookFixture {
    static let allOrderEvents = #"["order.placed","order.paid","order.refunded","order.cancelled","order.expired","order.failed","order.disputed"]"#

    static func run(_ engine: DatabaseEngine, allowLoopback: Bool = true, hosts: StubHostResolver = StubHostResolver(),
                    clock: ManualClock = ManualClock(), _ body: @escaping @Sendable (CheckoutHarness) async throws -> Void) async throws {
        var config = PlatformConfig()
        config.checkoutRateLimit = 1_000_000
        config.allowHTTPWebhooks = allowLoopback
        try await CheckoutHarness.run(engine, clock: clock, config: config, hosts: hosts, body)
    }

    /// Registers an endpoint; returns its id and secret.
    static func register(_ h: CheckoutHarness, url: String, events: String = allOrderEvents, key: String? = nil) async throws -> (id: String, secret: String) {
        let reply = try await h.client.post("/api/v1/webhook-endpoints", key: key ?? h.organizerKey,
                                            json: #"{"url":"\#(url)","events":\#(events),"description":"CRM"}"#)
        #expect(reply.status == .created, "\(reply.text)")
        return (try #require(reply.string("id")), try #require(reply.string("secret")))
    }

    /// Sends every due delivery, moving the clock past each backoff, until nothing is pending.
    static func sendAll(_ h: CheckoutHarness, rounds: Int = 10) async throws {
        for _ in 0..<rounds {
            await h.platform.webhookSender.drain()
            h.clock.advance(minutes: 62)
        }
    }

    static func deliveries(_ h: CheckoutHarness, key: String? = nil, query: String = "") async throws -> [[String: Any]] {
        let reply = try await h.client.get("/api/v1/webhook-deliveries\(query)", key: key ?? h.organizerKey)
        #expect(reply.status == .ok, "\(reply.text)")
        return reply.json["data"] as? [[String: Any]] ?? []
    }
}
