import Foundation
import HTTPTypes
import Hummingbird
import Platform
import Testing

/// What a payment plugin hands the conformance suite so it can be exercised like a real provider.
package protocol ProviderConformanceFixture: Sendable {
    var provider: any PaymentProvider { get }
    /// A correctly signed delivery of `eventType` about `order`, as the provider would send it at `time`.
    /// For payment events `amount`/`currency` are what was paid; for refund events, the refunded total.
    func delivery(eventType: String, eventID: String, order: OrderID, amount: Int64, currency: String,
                  at time: Timestamp) throws -> (body: ByteBuffer, headers: HTTPFields)
    /// The event type that marks an order paid.
    var paidEventType: String { get }
    /// Ways to make `createCheckout` fail, each with the error kind it must surface as.
    var failureCases: [ProviderFailureCase] { get }
}

package struct ProviderFailureCase: Sendable {
    package let name: String
    package let arrange: @Sendable () async -> Void
    package let expected: @Sendable (ProviderError) -> Bool

    package init(_ name: String, arrange: @escaping @Sendable () async -> Void, expected: @escaping @Sendable (ProviderError) -> Bool) {
        self.name = name
        self.arrange = arrange
        self.expected = expected
    }
}

/// The checks every payment provider plugin must pass; call each from a test of the plugin's own.
package enum ProviderConformance {
    static func sampleRequest(_ order: OrderID, at time: Timestamp) -> CheckoutRequest {
        CheckoutRequest(orderID: order, eventTitle: "Conformance Night", lines: [.init(name: "GA", unitPrice: 2_500, quantity: 2)],
                        total: Money(minorUnits: 5_000, currency: .eur), email: "buyer@example.com",
                        successURL: "https://shop.example.com/ok", cancelURL: "https://shop.example.com/cancel",
                        expiresAt: time.adding(minutes: 60), idempotencyKey: "checkout-\(order)")
    }

    /// Tampered and stale deliveries are rejected; a fresh, genuine one is accepted.
    package static func rejectsTamperedAndStale(_ fixture: some ProviderConformanceFixture, now: Timestamp) async throws {
        let order = OrderID.generate(at: now)
        let genuine = try fixture.delivery(eventType: fixture.paidEventType, eventID: "evt_conformance_1", order: order,
                                           amount: 5_000, currency: "EUR", at: now)
        await #expect(throws: Never.self) { _ = try await fixture.provider.verifyWebhook(body: genuine.body, headers: genuine.headers, now: now) }

        var tampered = genuine.body
        let last = tampered.writerIndex - 2
        let byte = tampered.getInteger(at: last, as: UInt8.self) ?? 0
        tampered.setInteger(byte == 0x30 ? UInt8(0x31) : UInt8(0x30), at: last)
        await #expect(throws: WebhookRejected.self, "a changed byte") {
            _ = try await fixture.provider.verifyWebhook(body: tampered, headers: genuine.headers, now: now)
        }
        await #expect(throws: WebhookRejected.self, "no signature") {
            _ = try await fixture.provider.verifyWebhook(body: genuine.body, headers: [:], now: now)
        }
        let stale = try fixture.delivery(eventType: fixture.paidEventType, eventID: "evt_conformance_2", order: order,
                                         amount: 5_000, currency: "EUR", at: now.adding(seconds: -3_600))
        await #expect(throws: WebhookRejected.self, "an hour old") {
            _ = try await fixture.provider.verifyWebhook(body: stale.body, headers: stale.headers, now: now)
        }
    }

    /// Every event type the plugin declares verifies and turns into a command.
    package static func handlesEveryDeclaredEventType(_ fixture: some ProviderConformanceFixture, now: Timestamp) async throws {
        let order = OrderID.generate(at: now)
        for (index, type) in fixture.provider.webhookHandlers.keys.sorted().enumerated() {
            let delivery = try fixture.delivery(eventType: type, eventID: "evt_conformance_type_\(index)", order: order,
                                                amount: 5_000, currency: "EUR", at: now)
            let envelope = try await fixture.provider.verifyWebhook(body: delivery.body, headers: delivery.headers, now: now)
            #expect(envelope.eventType == type)
            let handler = try #require(fixture.provider.webhookHandlers[type])
            #expect(throws: Never.self, "\(type)") { _ = try handler(envelope) }
        }
    }

    /// The same checkout request twice opens one session at the provider.
    package static func createsCheckoutsIdempotently(_ fixture: some ProviderConformanceFixture, now: Timestamp) async throws {
        let request = sampleRequest(.generate(at: now), at: now)
        let first = try await fixture.provider.createCheckout(request)
        let second = try await fixture.provider.createCheckout(request)
        #expect(first.id == second.id)
        #expect(URLComponents(string: first.url)?.scheme?.hasPrefix("http") == true)
    }

    /// Each failure the plugin can meet surfaces as the shared error it is declared to be.
    package static func mapsEveryFailure(_ fixture: some ProviderConformanceFixture, now: Timestamp) async throws {
        for failure in fixture.failureCases {
            await failure.arrange()
            do {
                _ = try await fixture.provider.createCheckout(sampleRequest(.generate(at: now), at: now))
                Issue.record("\(failure.name): createCheckout succeeded")
            } catch let error as ProviderError {
                #expect(failure.expected(error), "\(failure.name): \(error)")
            } catch {
                Issue.record("\(failure.name): \(error) is not a ProviderError")
            }
        }
    }

    /// Delivered five times (the same event, signed for each delivery), two of them at once, a
    /// payment moves the order once and sells its seats once.
    package static func duplicateDeliveriesAreHarmless(_ fixture: some ProviderConformanceFixture, engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine, extraProviders: [fixture.provider]) { h in
            let placed = try await h.placeOrder(body: h.cart(quantity: 2, provider: fixture.provider.id))
            let order = try #require(OrderID((placed.json["order"] as? [String: Any])?["id"] as? String ?? ""))
            // Each delivery signed afresh, as a provider's retry is (a PayPal transmission id is used once).
            let send: @Sendable () async throws -> HTTPResponse.Status = {
                let delivery = try fixture.delivery(eventType: fixture.paidEventType, eventID: "evt_conformance_dup", order: order,
                                                    amount: 5_000, currency: "EUR", at: h.clock.now())
                return try await h.client.client.execute(uri: "/webhooks/\(fixture.provider.id)", method: .post,
                                                  headers: delivery.headers, body: delivery.body) { $0.status }
            }
            async let a = send()
            async let b = send()
            #expect(try await [a, b] == [.ok, .ok])
            for _ in 0..<3 { #expect(try await send() == .ok) }
            await h.drain()
            await h.drain()
            #expect(try await h.inboxCount() == 1)
            #expect(try await h.order(order.rawValue).string("status") == "paid")
            #expect(try await h.variantCounts() == (2, 0))
        }
    }
}
