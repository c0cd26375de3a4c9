import Foundation
import Platform
import PlatformTesting
import SQLKit
import Testing

/// A chargeback withdraws its amount from clearing at once and holds the order's parts back from
/// the organizer and the fee; won, everything goes back; lost, it goes with the money.
@Suite struct DisputeLedgerTests {
    func balances(_ h: CheckoutHarness) async throws -> [String: Int64] {
        let totals = try await h.database.read { sql in try await LedgerRepository(sql).accountTotals() }
        return Dictionary(uniqueKeysWithValues: totals.map {
            ($0.account.components(separatedBy: ":org_").first ?? $0.account, LedgerAccount.balance(code: $0.account, debits: $0.debits, credits: $0.credits))
        })
    }

    @Test(arguments: TestEngines.all)
    func aLostDisputeTakesTheNetFromTheOrganizerAndTheFeeFromThePlatform(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try await h.paidOrder()
            _ = try await h.deliver(id: "d-open", type: "disputed", order: id, amount: 5_000, reference: "dp_1")
            _ = try await h.deliver(id: "d-open-again", type: "disputed", order: id, amount: 5_000, reference: "dp_1")
            await h.drain()
            #expect(try await h.transfers(of: id) == ["order-net": 4_750, "order-fee": 250, "dispute:test:dp_1": 5_000,
                                                   "dispute-net:test:dp_1": 4_750, "dispute-fee:test:dp_1": 250])
            #expect(try await balances(h) == ["clearing:test": 0, "disputed:test": 5_000, "organizer_pending": 0, "fee_revenue": 0,
                                              "disputes_held": 5_000])
            #expect(try await h.order(id).string("dispute_reason") == "fraudulent")
            let held = try #require((try await h.client.get("/api/v1/balances", key: h.organizerKey).json["data"] as? [[String: Any]])?.first)
            #expect(held["pending"] as? Int == 0 && held["available"] as? Int == 0, "an open dispute's net cannot be paid out")

            _ = try await h.deliver(id: "d-lost", type: "dispute_lost", order: id, amount: 5_000, reference: "dp_1")
            _ = try await h.deliver(id: "d-won-late", type: "dispute_won", order: id, amount: 5_000, reference: "dp_1")
            await h.drain()
            #expect(try await h.transfers(of: id)["dispute-lost:test:dp_1"] == 5_000)
            #expect(try await h.transfers(of: id)["dispute-reinstated:test:dp_1"] == nil, "the first decision stands")
            #expect(try await balances(h) == ["clearing:test": 0, "disputed:test": 0, "organizer_pending": 0, "fee_revenue": 0,
                                              "disputes_held": 0])
        }
    }

    @Test(arguments: TestEngines.all)
    func aWonDisputeGivesEveryPartBackEvenAfterTheHoldEnded(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try await h.paidOrder()
            h.clock.advance(minutes: 38 * 24 * 60)
            #expect(try await h.platform.holdRelease.run() == 1)
            _ = try await h.deliver(id: "d-open", type: "disputed", order: id, amount: 2_000, reference: "dp_2")
            await h.drain()
            #expect(try await h.transfers(of: id)["dispute-net:test:dp_2"] == 1_900)
            #expect(try await h.transfers(of: id)["dispute-fee:test:dp_2"] == 100)
            #expect(try await balances(h)["organizer_available"] == 2_850, "out of what was available")

            _ = try await h.deliver(id: "d-won", type: "dispute_won", order: id, amount: 2_000, reference: "dp_2")
            await h.drain()
            #expect(try await balances(h) == ["clearing:test": 5_000, "disputed:test": 0, "organizer_pending": 0, "organizer_available": 4_750,
                                              "fee_revenue": 250, "disputes_held": 0])

            // A refund after the won dispute still returns exactly what was paid.
            _ = try await h.deliver(id: "refund", type: "refunded", order: id, amount: 5_000)
            await h.drain()
            #expect(try await balances(h) == ["clearing:test": 0, "disputed:test": 0, "organizer_pending": 0, "organizer_available": 0,
                                              "fee_revenue": 0, "disputes_held": 0, "refunds:test": 0])
        }
    }

    @Test(arguments: TestEngines.all)
    func aDisputeHeldBeforeTheHoldEndsIsNotReleasedAndComesBackWhenWon(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try await h.paidOrder()
            _ = try await h.deliver(id: "d-open", type: "disputed", order: id, amount: 1_000, reference: "dp_3")
            await h.drain()
            h.clock.advance(minutes: 38 * 24 * 60)
            #expect(try await h.platform.holdRelease.run() == 1)
            #expect(try await h.transfers(of: id)["release"] == 3_800, "the net less what the open dispute holds")
            _ = try await h.deliver(id: "d-won", type: "dispute_won", order: id, amount: 1_000, reference: "dp_3")
            await h.drain()
            #expect(try await balances(h)["organizer_available"] == 4_750)
            #expect(try await balances(h)["organizer_pending"] == 0)
        }
    }

    @Test(arguments: TestEngines.all)
    func aDisputeClosedBeforeItWasOpenedOpensItFirst(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let pending = try #require(try await h.placeOrder().orderID)
            _ = try await h.deliver(id: "d-early", type: "disputed", order: pending, amount: 2_500, reference: "dp_4")
            await h.drain()
            #expect(try await h.order(pending).string("dispute_reason") == nil, "a dispute waits for its payment")
            let id = try await h.paidOrder()
            _ = try await h.deliver(id: "d-closed", type: "dispute_lost", order: id, amount: 9_999, reference: "dp_5")
            await h.drain()
            #expect(try await h.transfers(of: id)["dispute:test:dp_5"] == 5_000, "at most the order's total")
            #expect(try await h.transfers(of: id)["dispute-lost:test:dp_5"] == 5_000)
            #expect(try await balances(h)["organizer_pending"] == 0)
        }
    }
}
