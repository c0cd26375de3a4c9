import Foundation
import Platform
import PlatformTesting
import Testing

@Suite struct RefundNoticeTests {
    @Test(arguments: TestEngines.all)
    func eachConfirmedRefundQueuesOneNotice(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let reply = try await h.placeOrder(body: h.cart(quantity: 2))
            let id = try #require((reply.json["order"] as? [String: Any])?["id"] as? String)
            _ = try await h.deliver(id: "paid-\(id)", type: "paid", order: id, amount: 5_000)
            _ = try await h.client.post("/api/v1/orders/\(id)/refunds", key: h.organizerKey, json: #"{"amount":1000}"#)
            await h.drain()
            #expect(try await notices(h).isEmpty, "a requested refund is not yet a refund")

            _ = try await h.deliver(id: "r-1", type: "refunded", order: id, amount: 1_000)
            _ = try await h.deliver(id: "r-1-again", type: "refunded", order: id, amount: 1_000)
            await h.drain()
            _ = try await h.deliver(id: "r-2", type: "refunded", order: id, amount: 5_000)
            await h.drain()
            let queued = try await notices(h)
            #expect(queued.map(\.idempotencyKey) == ["refund-notice-\(id)-1000", "refund-notice-\(id)-5000"])
            #expect(queued.allSatisfy { $0.recipient == "buyer@example.com" && $0.content.replyTo == "h@harness.example" })
            let organizer = try #require(queued.first?.organizerID)
            let engine = h.database.engine
            let counted = try await h.database.read { sql in
                let outbox = OutboxRepository(sql, engine: engine)
                return (try await outbox.count(status: .queued, organizer: organizer),
                        try await outbox.count(status: .queued, organizer: OrganizerID("org_00000000000000000000000000")!))
            }
            #expect(counted == (2, 0))

            let composer = try await MailComposer.load(directory: MailComposer.defaultDirectory())
            let partial = try composer.compose(queued[0])
            #expect(partial.subject.hasPrefix("Refund for "))
            #expect(partial.text.contains("has refunded 10.00 EUR of your order \(id)"))
            #expect(partial.text.contains("In all, 10.00 EUR of 50.00 EUR has been refunded."))
            let full = try composer.compose(queued[1])
            #expect(full.text.contains("has refunded 40.00 EUR"))
            #expect(full.html.contains("The whole order (50.00 EUR) is refunded"))
            #expect(full.from.name == "Harness")
        }
    }

    func notices(_ h: CheckoutHarness) async throws -> [OutboxMessage] {
        let engine = h.database.engine
        return try await h.database.read { sql in
            try await OutboxRepository(sql, engine: engine).list(statuses: OutboxStatus.allCases, after: nil, limit: 50).filter { $0.kind == .refundNotice }
        }
    }
}
