import Credits
import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing

/// Buyer credit in a checkout harness: sessions, packs bought through the test provider, wallets.
enum WalletFixture {
    /// A harness with the test provider and buyer credit.
    static func run(_ engine: DatabaseEngine, clock: ManualClock = ManualClock(), price: Int64 = 2_500, quota: Int64 = 100,
                    _ body: @escaping @Sendable (CheckoutHarness) async throws -> Void) async throws {
        try await CheckoutHarness.run(engine, clock: clock, price: price, quota: quota, extraProviders: [CreditsProvider()], body)
    }

    /// A buyer session whose wallet holds `credit` (EUR minor units), from a pack bought at that price.
    static func funded(_ h: CheckoutHarness, credit: Int64) async throws -> String {
        let session = try await h.buyerSession()
        try await buyPack(h, try await h.creditPack(price: credit, credit: credit), price: credit)
        return session
    }

    /// Places a purchase of the pack through the test provider; returns its order id.
    static func placePack(_ h: CheckoutHarness, _ pack: String, email: String = "buyer@example.com", key: String = UUID().uuidString) async throws -> String {
        let reply = try await h.client.send(.post, "/api/v1/public/credit-packs/\(pack)/orders", json: #"{"email":"\#(email)","provider":"test"}"#,
                                            headers: [HTTPField.Name("Idempotency-Key")!: key])
        #expect(reply.status == .created, "\(reply.text)")
        return try #require(reply.orderID)
    }

    /// Buys the pack and has the provider confirm the payment; returns the pack order's id.
    @discardableResult
    static func buyPack(_ h: CheckoutHarness, _ pack: String, price: Int64, email: String = "buyer@example.com") async throws -> String {
        let order = try await placePack(h, pack, email: email)
        _ = try await h.deliver(id: "paid-\(order)", type: "paid", order: order, amount: price, reference: "pay-\(order)")
        await h.drain()
        return order
    }

    /// The status of an order of any organizer (a pack purchase is the platform's).
    static func status(_ h: CheckoutHarness, _ order: String) async throws -> OrderStatus? {
        let id = try #require(OrderID(order))
        return try await h.database.read { sql in try await OrderRepository(sql).find(id)?.status }
    }

    /// `GET /api/v1/public/wallet` with the session.
    static func wallet(_ h: CheckoutHarness, _ session: String) async throws -> APITestClient.Reply {
        try await h.client.get("/api/v1/public/wallet", key: session)
    }

    /// The wallet's balance in EUR: available, held, owed.
    static func balance(_ h: CheckoutHarness, _ session: String) async throws -> (available: Int, held: Int, owed: Int) {
        let reply = try await wallet(h, session)
        #expect(reply.status == .ok, "\(reply.text)")
        guard let eur = (reply.json["balances"] as? [[String: Any]])?.first(where: { $0["currency"] as? String == "EUR" }) else { return (0, 0, 0) }
        return (eur["available"] as? Int ?? -1, eur["held"] as? Int ?? -1, eur["owed"] as? Int ?? -1)
    }

    /// Places an order of `quantity` tickets as the session's buyer, paying with credit as `extra` says.
    static func order(_ h: CheckoutHarness, session: String?, quantity: Int = 1, provider: String = "credits", extra: String = "",
                      email: String = "buyer@example.com") async throws -> APITestClient.Reply {
        var headers: HTTPFields = [HTTPField.Name("Idempotency-Key")!: UUID().uuidString]
        if let session { headers[.authorization] = "Bearer \(session)" }
        return try await h.client.send(.post, "/api/v1/public/events/\(h.eventID)/orders",
                                       json: h.cart(quantity: quantity, email: email, provider: provider, extra: extra), headers: headers)
    }
}
