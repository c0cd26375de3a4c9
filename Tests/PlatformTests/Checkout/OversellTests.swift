import Foundation
import Platform
import PlatformTesting
import Testing

/// 200 buyers race for the last 50 seats, twenty times over: exactly 50 get them, every time.
@Suite struct OversellTests {
    @Test(arguments: TestEngines.all)
    func twoHundredBuyersForFiftySeats(engine: DatabaseEngine) async throws {
        for round in 0..<20 {
            try await CheckoutHarness.run(engine, quota: 60) { h in
                // Ten seats are already sold, so the race is for the last fifty.
                let early = try await h.placeOrder(body: h.cart(quantity: 10))
                let earlyID = try #require((early.json["order"] as? [String: Any])?["id"] as? String)
                _ = try await h.deliver(id: "early-\(round)", type: "paid", order: earlyID, amount: 25_000)
                await h.drain()

                let replies = try await withThrowingTaskGroup(of: APITestClient.Reply.self) { group in
                    for buyer in 0..<200 {
                        group.addTask { try await h.placeOrder(body: h.cart(email: "buyer\(buyer)@example.com")) }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                let won = replies.filter { $0.status == .created }
                let refused = replies.filter { $0.status == .conflict }
                #expect(won.count == 50, "round \(round)")
                #expect(refused.count == 150, "round \(round)")
                #expect(refused.allSatisfy { $0.string("detail") == "not enough GA tickets left for 1" })
                #expect(try await h.variantCounts() == (10, 50))

                for (index, reply) in won.enumerated() {
                    let id = try #require((reply.json["order"] as? [String: Any])?["id"] as? String)
                    _ = try await h.deliver(id: "pay-\(round)-\(index)", type: "paid", order: id, amount: 2_500)
                }
                await h.drain()
                #expect(try await h.variantCounts() == (60, 0), "round \(round)")
            }
        }
    }
}
