import Foundation
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing

/// The server's own workers, not a test's `drain()`: a stored webhook is applied at once, and a
/// reservation that runs out is released, while the application runs.
@Suite struct PaymentWorkersTests {
    @Test(arguments: TestEngines.all)
    func runningWorkersApplyWebhooksAndExpireHolds(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let app = buildApplication(h.platform)
            try await app.test(.live) { raw in
                let client = APITestClient(raw)
                let placed = try await client.send(.post, "/api/v1/public/events/\(h.eventID)/orders", json: h.cart(quantity: 2),
                                                   headers: [HTTPField.Name("Idempotency-Key")!: "live-1"])
                let id = try #require(placed.orderID)
                let delivery = h.provider.delivery(id: "live-paid", type: "paid", order: id, amount: 5_000, at: h.clock.now())
                let stored = try await raw.execute(uri: "/webhooks/test", method: .post, headers: delivery.headers, body: delivery.body) { $0.status }
                #expect(stored == .ok)
                #expect(try await eventually { try await client.get("/api/v1/orders/\(id)", key: h.organizerKey).string("status") == "paid" })

                let held = try #require(try await client.send(.post, "/api/v1/public/events/\(h.eventID)/orders", json: h.cart(quantity: 3),
                                                              headers: [HTTPField.Name("Idempotency-Key")!: "live-2"]).orderID)
                h.clock.advance(minutes: 16)
                #expect(try await eventually { try await client.get("/api/v1/orders/\(held)", key: h.organizerKey).string("status") == "expired" })
                #expect(try await h.variantCounts() == (2, 0))
            }
        }
    }

    /// Polls for up to five seconds: the workers run on their own schedule (woken, or once a second).
    func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<100 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}

import HTTPTypes
