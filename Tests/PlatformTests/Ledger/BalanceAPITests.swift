import Foundation
import Platform
import PlatformTesting
import Testing

/// Balances read from the ledger: an organizer sees its own, per currency; an admin every account.
@Suite struct BalanceAPITests {
    @Test(arguments: TestEngines.all)
    func organizersSeeTheirBalancesAndAdminsEveryAccount(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            for quantity in [2, 1] {
                let id = try #require(try await h.placeOrder(body: h.cart(quantity: quantity)).orderID)
                _ = try await h.deliver(id: "paid-\(id)", type: "paid", order: id, amount: 2_500 * Int64(quantity))
            }
            await h.drain()
            let pending = try await h.client.get("/api/v1/balances", key: h.organizerKey)
            #expect(pending.status == .ok)
            let before = try #require((pending.json["data"] as? [[String: Any]])?.first)
            #expect(before["currency"] as? String == "EUR" && before["pending"] as? Int == 7_125 && before["available"] as? Int == 0)
            #expect(before["in_transit"] as? Int == 0 && before["paid_out"] as? Int == 0 && before["owed"] as? Int == 0)

            // After the hold, one order is refunded in full: its net comes out of available.
            h.clock.advance(minutes: 38 * 24 * 60)
            #expect(try await h.platform.holdRelease.run() == 2)
            let first = try #require(try await h.client.get("/api/v1/events/\(h.eventID)/orders", key: h.organizerKey).json["data"] as? [[String: Any]])
            let refunded = try #require(first.first?["id"] as? String)
            _ = try await h.deliver(id: "refund", type: "refunded", order: refunded, amount: 5_000)
            await h.drain()
            let after = try #require((try await h.client.get("/api/v1/balances", key: h.organizerKey).json["data"] as? [[String: Any]])?.first)
            #expect(after["pending"] as? Int == 0 && after["available"] as? Int == 2_375)

            let other = try await h.client.createOrganizer(admin: h.adminKey, slug: "someone-else")
            #expect((try await h.client.get("/api/v1/balances", key: other.key).json["data"] as? [Any])?.isEmpty == true)
            #expect(try await h.client.get("/api/v1/balances", key: h.adminKey).status == .forbidden)

            let ledger = try await h.client.get("/api/v1/admin/ledger/balances", key: h.adminKey)
            #expect(ledger.status == .ok)
            let accounts = try #require(ledger.json["accounts"] as? [[String: Any]])
            let balance = Dictionary(uniqueKeysWithValues: accounts.compactMap { row in
                (row["account"] as? String).map { ($0.components(separatedBy: ":org_").first ?? $0, row["balance"] as? Int ?? -1) }
            })
            #expect(balance == ["clearing:test": 2_500, "fee_revenue": 125, "organizer_pending": 0, "organizer_available": 2_375, "refunds:test": 0])
            let totals = try #require((ledger.json["totals"] as? [[String: Any]])?.first)
            #expect(totals["currency"] as? String == "EUR" && totals["debits"] as? Int == totals["credits"] as? Int)
            #expect(try await h.client.get("/api/v1/admin/ledger/balances", key: h.organizerKey).status == .forbidden)
        }
    }
}
