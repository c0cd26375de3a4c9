import Foundation
import Platform
import PlatformTesting
import Testing

/// A refund is set aside in `refunds` when it is asked for, so no payout sends money owed to a
/// buyer; the provider's confirmation pays it from there, its refusal puts it back.
@Suite struct RefundLedgerTests {
    func balances(_ h: CheckoutHarness) async throws -> [String: Int64] {
        let totals = try await h.database.read { sql in try await LedgerRepository(sql).accountTotals() }
        return Dictionary(uniqueKeysWithValues: totals.map { ($0.account.components(separatedBy: ":org_").first ?? $0.account, $0.credits - $0.debits) })
    }

    func invariants(_ h: CheckoutHarness) async throws -> [String] {
        try await h.database.read { sql in try await LedgerInvariants.check(on: sql) }
    }

    @Test(arguments: TestEngines.all)
    func aRefundAskedForIsSetAsideUntilTheProviderConfirmsIt(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try await h.paidOrder()
            try await h.releaseAll()
            #expect(try await h.setPayoutMethod("test_acct_1").status == .ok)

            let asked = try await h.client.post("/api/v1/orders/\(id)/refunds", key: h.organizerKey, json: #"{"amount":1000}"#)
            #expect(asked.status == .accepted, "\(asked.text)")
            let booked = try await h.transfers(of: id)
            #expect(booked["refund-net:rfd"] == 950 && booked["refund-fee:rfd"] == 50)
            #expect(try await balances(h)["organizer_available"] == 3_800)
            #expect(try await balances(h)["refunds:test"] == 1_000, "owed to the buyer until the provider confirms")
            #expect(try await invariants(h) == [])

            let planned = try #require((try await h.payoutRun(#"{"dry_run":true}"#).json["payouts"] as? [[String: Any]])?.first)
            #expect(planned["amount"] as? Int == 3_800, "a payout never sends what a refund set aside")

            _ = try await h.deliver(id: "r-1", type: "refunded", order: id, amount: 1_000)
            await h.drain()
            #expect(try await h.transfers(of: id)["refund-paid:1000"] == 1_000)
            let after = try await balances(h)
            #expect(after["refunds:test"] == 0 && after["clearing:test"] == -4_000 && after["fee_revenue"] == 200)
            #expect(try await invariants(h) == [])
        }
    }

    @Test(arguments: TestEngines.all)
    func aRefusedRefundGoesBackToWhereTheNetIsNow(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try await h.paidOrder()
            // The provider answers late and refuses; the hold ends meanwhile.
            h.provider.stall(for: .seconds(3))
            h.provider.fail(with: .declined("insufficient balance"))
            let client = h.client
            let asked = Task { try await client.post("/api/v1/orders/\(id)/refunds", key: h.organizerKey, json: #"{"amount":1000}"#) }
            try await Self.untilRecorded(refundOf: id, h)
            try await h.releaseAll()
            h.clock.advance(minutes: 1)
            #expect(try await asked.value.status.code == 402)

            let booked = try await h.transfers(of: id)
            #expect(booked["release"] == 3_800, "what the refund left pending was released")
            #expect(booked["refund-net-reversed:rfd"] == 950 && booked["refund-fee-reversed:rfd"] == 50)
            let after = try await balances(h)
            #expect(after["organizer_available"] == 4_750 && after["organizer_pending"] == 0, "the net went back to available")
            #expect(after["refunds:test"] == 0 && after["fee_revenue"] == 250)
            #expect(try await invariants(h) == [])

            let statement = try #require(try await h.client.get("/api/v1/ledger/entries", key: h.organizerKey).json["data"] as? [[String: Any]])
            #expect(statement.map { $0["type"] as? String } == ["payment", "refund", "release", "refund_failed"])
            #expect([statement[3]["gross"], statement[3]["fee"], statement[3]["net"]].map { $0 as? Int } == [1_000, 50, 950])
            #expect(statement.compactMap { $0["net"] as? Int }.reduce(0, +) == 4_750)
        }
    }

    @Test(arguments: TestEngines.all)
    func aConfirmationBeforeTheProvidersAnswerTimesOutIsNotUndone(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try await h.paidOrder()
            // The provider made the refund, but its answer never arrives; its event does, first.
            h.provider.stall(for: .seconds(3))
            h.provider.fail(with: .unavailable("timed out"))
            let client = h.client
            let asked = Task { try await client.post("/api/v1/orders/\(id)/refunds", key: h.organizerKey, json: #"{"amount":1000}"#) }
            // The event comes while the provider is being asked: once the refund is recorded, not after a guessed while.
            try await Self.untilRecorded(refundOf: id, h)
            _ = try await h.deliver(id: "r-1", type: "refunded", order: id, amount: 1_000)
            await h.drain()
            #expect(try await asked.value.status != .accepted)

            let booked = try await h.transfers(of: id)
            #expect(booked["refund-paid:1000"] == 1_000)
            #expect(booked["refund-net-reversed:rfd"] == nil, "money the buyer got back does not return to the organizer")
            let after = try await balances(h)
            #expect(after["refunds:test"] == 0 && after["organizer_pending"] == 3_800 && after["clearing:test"] == -4_000)
            #expect(try await h.order(id).json["refunded"] as? Int == 1_000)
            #expect(try await invariants(h) == [])
        }
    }

    @Test(arguments: TestEngines.all)
    func aDisputeTakesMoneySetAsideForARefundToo(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try await h.paidOrder()
            let asked = try await h.client.post("/api/v1/orders/\(id)/refunds", key: h.organizerKey, json: #"{"amount":1000}"#)
            #expect(asked.status == .accepted)
            _ = try await h.deliver(id: "d-open", type: "disputed", order: id, amount: 5_000, reference: "dp_9")
            await h.drain()
            let booked = try await h.transfers(of: id)
            #expect(booked["dispute:test:dp_9"] == 5_000, "the provider withdrew all of it")
            #expect(booked["dispute-net:test:dp_9"] == 3_800 && booked["dispute-fee:test:dp_9"] == 200)
            #expect(booked["dispute-refunds:test:dp_9"] == 1_000)
            let open = try await balances(h)
            #expect(open["refunds:test"] == 0 && open["disputes_held"] == 5_000)
            #expect(try await invariants(h) == [])

            _ = try await h.deliver(id: "d-won", type: "dispute_won", order: id, amount: 5_000, reference: "dp_9")
            await h.drain()
            #expect(try await balances(h)["refunds:test"] == 1_000, "won: the refund's money is set aside again")
            _ = try await h.deliver(id: "r-1", type: "refunded", order: id, amount: 1_000)
            await h.drain()
            let after = try await balances(h)
            #expect(after["refunds:test"] == 0 && after["clearing:test"] == -4_000 && after["disputes_held"] == 0)
            #expect(try await invariants(h) == [])
        }
    }

    /// Returns once the order's refund is recorded (its provider is being asked), or after 2 s.
    static func untilRecorded(refundOf order: String, _ h: CheckoutHarness) async throws {
        struct Count: Decodable { let n: Int }
        for _ in 0..<200 {
            let recorded = try await h.database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM refunds WHERE order_id = \(bind: order)").first(decoding: Count.self)?.n ?? 0
            }
            if recorded > 0 { return }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
