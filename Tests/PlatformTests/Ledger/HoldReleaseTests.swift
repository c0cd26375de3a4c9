import Foundation
import Platform
import PlatformTesting
import Testing

/// An organizer's net waits in pending for its hold (7 days after the event by default, or an
/// organizer's own), then moves to available once; refunds after that come out of available.
@Suite struct HoldReleaseTests {
    func balances(_ h: CheckoutHarness) async throws -> [String: Int64] {
        let totals = try await h.database.read { sql in try await LedgerRepository(sql).accountTotals() }
        return Dictionary(uniqueKeysWithValues: totals.map { ($0.account.components(separatedBy: ":org_").first ?? $0.account, $0.credits - $0.debits) })
    }

    func paid(_ h: CheckoutHarness, quantity: Int = 2) async throws -> String {
        let id = try #require(try await h.placeOrder(body: h.cart(quantity: quantity)).orderID)
        _ = try await h.deliver(id: "paid-\(id)", type: "paid", order: id, amount: 2_500 * Int64(quantity))
        await h.drain()
        return id
    }

    @Test(arguments: TestEngines.all)
    func netBecomesAvailableSevenDaysAfterTheEventOnceAndRefundsThenComeOutOfIt(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try await paid(h)
            #expect(try await h.platform.holdRelease.run() == 0)
            // The harness event starts in 30 days and has no end: its start counts.
            h.clock.advance(minutes: 37 * 24 * 60 - 1)
            #expect(try await h.platform.holdRelease.run() == 0, "a minute early")
            h.clock.advance(minutes: 2)
            #expect(try await h.platform.holdRelease.run() == 1)
            #expect(try await h.platform.holdRelease.run() == 0, "once")
            #expect(try await balances(h)["organizer_pending"] == 0)
            #expect(try await balances(h)["organizer_available"] == 4_750)

            _ = try await h.deliver(id: "refund", type: "refunded", order: id, amount: 1_001)
            await h.drain()
            #expect(try await balances(h)["organizer_pending"] == 0)
            #expect(try await balances(h)["organizer_available"] == 3_799)
        }
    }

    @Test(arguments: TestEngines.all)
    func onlyWhatIsLeftAfterRefundsIsReleasedAndARefundedOrderNotAtAll(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let partial = try await paid(h)
            let full = try await paid(h, quantity: 1)
            _ = try await h.deliver(id: "r-partial", type: "refunded", order: partial, amount: 1_000)
            _ = try await h.deliver(id: "r-full", type: "refunded", order: full, amount: 2_500)
            await h.drain()
            h.clock.advance(minutes: 38 * 24 * 60)
            #expect(try await h.platform.holdRelease.run() == 1)
            let released = try await h.database.read { sql in try await LedgerRepository(sql).find(["release:\(partial)", "release:\(full)"]) }
            #expect(released.map(\.amount) == [4_750 - 950], "the net less the refunded net")
        }
    }

    @Test(arguments: TestEngines.all)
    func anAdminSetsAnOrganizersOwnHold(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let me = try #require(try await h.client.get("/api/v1/events/\(h.eventID)", key: h.organizerKey).string("organizer_id"))
            let path = "/api/v1/organizers/\(me)"
            let rolling = #"{"payout_hold":{"from":"payment","days":0}}"#
            #expect(try await h.client.patch(path, key: h.organizerKey, json: rolling).status == .forbidden)
            let bad = try await h.client.patch(path, key: h.adminKey, json: #"{"payout_hold":{"from":"weekly","days":99999}}"#)
            #expect(bad.status == .unprocessableContent)
            #expect(bad.errorFields == ["payout_hold.from", "payout_hold.days"])
            let set = try await h.client.patch(path, key: h.adminKey, json: rolling)
            #expect(set.status == .ok)
            let hold = set.json["payout_hold"] as? [String: Any]
            #expect(hold?["from"] as? String == "payment" && hold?["days"] as? Int == 0)

            _ = try await paid(h)
            #expect(try await h.platform.holdRelease.run() == 1, "rolling payouts: available at once")

            let cleared = try await h.client.patch(path, key: h.adminKey, json: #"{"payout_hold":null}"#)
            #expect(cleared.status == .ok && cleared.json["payout_hold"] == nil)
            _ = try await paid(h, quantity: 1)
            #expect(try await h.platform.holdRelease.run() == 0, "the platform's hold again")
        }
    }

    @Test func theHoldComesFromTheEnvironment() throws {
        #expect(try PlatformConfig.fromEnvironment([:]).payoutHold == PayoutHold(from: .eventEnd, days: 7))
        #expect(try PlatformConfig.fromEnvironment(["PAYOUT_HOLD_FROM": "payment", "PAYOUT_HOLD_DAYS": "0"]).payoutHold
                == PayoutHold(from: .payment, days: 0))
        #expect(throws: ConfigError("PAYOUT_HOLD_FROM must be event_end or payment")) {
            try PlatformConfig.fromEnvironment(["PAYOUT_HOLD_FROM": "weekly"])
        }
        #expect(throws: ConfigError.self) { try PlatformConfig.fromEnvironment(["PAYOUT_HOLD_DAYS": "-1"]) }
    }
}
