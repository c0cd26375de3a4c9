import Foundation
import Platform
import PlatformTesting
import SQLKit
import Testing

/// The ledger books every paid order and every confirmed refund in the transaction that records
/// it, and its invariants hold after each scenario.
@Suite struct LedgerTests {
    func invariants(_ h: CheckoutHarness) async throws -> [String] {
        try await h.database.read { sql in try await LedgerInvariants.check(on: sql) }
    }

    func balances(_ h: CheckoutHarness) async throws -> [String: Int64] {
        let totals = try await h.database.read { sql in try await LedgerRepository(sql).accountTotals() }
        return Dictionary(uniqueKeysWithValues: totals.map { ($0.account.components(separatedBy: ":org_").first ?? $0.account, $0.credits - $0.debits) })
    }

    @Test(arguments: TestEngines.all)
    func aPaymentAndItsRefundsBookFeeAndNetInProportion(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try #require(try await h.placeOrder(body: h.cart(quantity: 2)).orderID)
            _ = try await h.deliver(id: "paid", type: "paid", order: id, amount: 5_000)
            _ = try await h.deliver(id: "paid-again", type: "paid", order: id, amount: 5_000)
            await h.drain()
            #expect(try await h.transfers(of: id) == ["order-net": 4_750, "order-fee": 250], "500 basis points, booked once")
            #expect(try await balances(h) == ["clearing:test": -5_000, "organizer_pending": 4_750, "fee_revenue": 250])
            #expect(try await invariants(h) == [])

            _ = try await h.deliver(id: "r-1", type: "refunded", order: id, amount: 1_001)
            _ = try await h.deliver(id: "r-1-again", type: "refunded", order: id, amount: 1_001)
            await h.drain()
            #expect(try await h.transfers(of: id) == ["order-net": 4_750, "order-fee": 250, "refund-net:1001": 951, "refund-fee:1001": 50,
                                                       "refund-paid:1001": 1_001], "a refund made at the provider: set aside and paid at once")
            #expect(try await invariants(h) == [])

            _ = try await h.deliver(id: "r-2", type: "refunded", order: id, amount: 5_000)
            await h.drain()
            #expect(try await h.transfers(of: id)["refund-net:5000"] == 3_799)
            #expect(try await h.transfers(of: id)["refund-fee:5000"] == 200)
            #expect(try await h.transfers(of: id)["refund-paid:5000"] == 3_999)
            #expect(try await balances(h) == ["clearing:test": 0, "organizer_pending": 0, "fee_revenue": 0, "refunds:test": 0],
                    "a full refund returns both exactly")
            #expect(try await invariants(h) == [])
        }
    }

    @Test(arguments: TestEngines.all)
    func theOrganizersRateWhenTheOrderWasPlacedIsTheFee(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let organizer = try #require(try await h.database.read { sql in
                try await APIKeyRepository(sql).findActive(secretHash: SecretToken.hash(h.organizerKey))
            }?.scope.organizerID)
            try await h.database.transaction { sql in
                try await sql.raw("UPDATE organizers SET fee_bps = 0 WHERE id = \(bind: organizer.rawValue)").run()
            }
            let id = try #require(try await h.placeOrder().orderID)
            try await h.database.transaction { sql in
                try await sql.raw("UPDATE organizers SET fee_bps = 1000 WHERE id = \(bind: organizer.rawValue)").run()
            }
            _ = try await h.deliver(id: "paid", type: "paid", order: id, amount: 2_500)
            await h.drain()
            #expect(try await h.transfers(of: id) == ["order-net": 2_500], "the rate of when it was placed: no fee, no fee transfer")
            _ = try await h.deliver(id: "refund", type: "refunded", order: id, amount: 2_500)
            await h.drain()
            #expect(try await h.transfers(of: id) == ["order-net": 2_500, "refund-net:2500": 2_500, "refund-paid:2500": 2_500],
                    "refunds follow what was booked")
            #expect(try await invariants(h) == [])
        }
    }

    @Test(arguments: TestEngines.all)
    func moneyPutToReviewWaitsThereUntilItGoesBack(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try #require(try await h.placeOrder().orderID)
            _ = try await h.deliver(id: "cheap", type: "paid", order: id, amount: 100)
            await h.drain()
            #expect(try await h.order(id).string("status") == "review")
            #expect(try await h.transfers(of: id) == ["held": 100, "refund-held:rfd": 100], "none of it is the organizer's; it goes back at once")
            #expect(try await balances(h) == ["clearing:test": -100, "review:test": 0, "refunds:test": 100])
            _ = try await h.deliver(id: "cheap-back", type: "refunded", order: id, amount: 100)
            await h.drain()
            #expect(try await h.transfers(of: id) == ["held": 100, "refund-held:rfd": 100, "refund-paid:100": 100])
            #expect(try await balances(h) == ["clearing:test": 0, "review:test": 0, "refunds:test": 0])
            #expect(try await invariants(h) == [])
        }
    }

    @Test(arguments: TestEngines.all)
    func aLatePaymentWithoutSeatsIsHeldInFull(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine, quota: 2) { h in
            let late = try #require(try await h.placeOrder(body: h.cart(quantity: 2)).orderID)
            h.clock.advance(minutes: 20)
            try await h.platform.expiry.run()
            let other = try #require(try await h.placeOrder(body: h.cart(quantity: 2)).orderID)
            _ = try await h.deliver(id: "other-paid", type: "paid", order: other, amount: 5_000)
            _ = try await h.deliver(id: "late-paid", type: "paid", order: late, amount: 5_000)
            await h.drain()
            #expect(try await h.order(late).string("status") == "review")
            #expect(try await h.transfers(of: late) == ["held": 5_000, "refund-held:rfd": 5_000])
            #expect(try await invariants(h) == [])
        }
    }

    @Test(arguments: TestEngines.all)
    func aPaidOrderWithoutItsPaymentBookedIsADiscrepancy(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine, checksLedger: false) { h in
            let id = try #require(try await h.placeOrder().orderID)
            try await h.database.transaction { sql in
                try await sql.raw("UPDATE orders SET status = 'paid', seats = 'sold' WHERE id = \(bind: id)").run()
            }
            #expect(try await invariants(h) == ["order \(id) is paid but no payment of it is booked"])
        }
    }

    @Test(arguments: TestEngines.all)
    func aRepeatIsHarmlessAConflictIsRefusedAndNothingChanges(engine: DatabaseEngine) async throws {
        try await withTestDatabase(engine) { database in
            let now = Timestamp(seconds: 1_780_000_000)
            let organizer = OrganizerID.generate(at: now)
            @Sendable func transfer(_ amount: Int64) -> Transfer {
                Transfer(id: "test:1", kind: .orderNet, amount: Money(minorUnits: amount, currency: .eur), debit: .clearing(provider: "test"),
                         credit: .organizerPending(organizer), organizerID: organizer, orderID: nil, bookedAt: now)
            }
            try await database.transaction { sql in try await LedgerRepository(sql).post([transfer(700)]) }
            try await database.transaction { sql in try await LedgerRepository(sql).post([transfer(700)]) }
            await #expect(throws: LedgerConflict.self) {
                try await database.transaction { sql in try await LedgerRepository(sql).post([transfer(701)]) }
            }
            await #expect(throws: (any Error).self, "the database refuses an update") {
                try await database.transaction { sql in try await sql.raw("UPDATE ledger_transfers SET amount = 1").run() }
            }
            await #expect(throws: (any Error).self, "and a delete") {
                try await database.transaction { sql in try await sql.raw("DELETE FROM ledger_transfers").run() }
            }
            let stored = try await database.read { sql in try await LedgerRepository(sql).find(["test:1"]) }
            #expect(stored.map(\.amount) == [700])
        }
    }
}

/// Fee and net of refunds, apportioned on the cumulative amount: for any gross, rate and sequence
/// of partial refunds, each refund's parts add up to it, neither part goes negative or past what
/// was paid, and a full refund returns exactly the fee and the net.
@Suite struct RefundSplitTests {
    @Test func tenThousandRandomPaymentsAndRefunds() throws {
        var rng = SystemRandomNumberGenerator()
        for currency in [Currency.jpy, .eur, Currency(code: "KWD")!] {
            for _ in 0..<3_334 {
                let gross = Int64.random(in: 1...10_000_000, using: &rng)
                let policy = try #require(FeePolicy(basisPoints: Int.random(in: 0...10_000, using: &rng)))
                let split = try policy.split(Money(minorUnits: gross, currency: currency))
                #expect(split.fee.minorUnits + split.net.minorUnits == gross && split.fee.minorUnits >= 0 && split.net.minorUnits >= 0)
                var refunded: Int64 = 0, fee: Int64 = 0, net: Int64 = 0
                while refunded < gross {
                    let next = Int.random(in: 0..<4, using: &rng) == 0 ? gross : min(gross, refunded + Int64.random(in: 1...max(1, gross / 3), using: &rng))
                    let parts = FeePolicy.refunded(split, from: refunded, to: next)
                    #expect(parts.fee >= 0 && parts.net >= 0 && parts.fee + parts.net == next - refunded)
                    (refunded, fee, net) = (next, fee + parts.fee, net + parts.net)
                    #expect(fee <= split.fee.minorUnits && net <= split.net.minorUnits)
                }
                #expect(fee == split.fee.minorUnits && net == split.net.minorUnits)
            }
        }
    }

    @Test func feesRoundHalfUpInEveryExponent() throws {
        let policy = FeePolicy.standard
        #expect(try policy.split(Money(minorUnits: 10, currency: .jpy)).fee.minorUnits == 1, "0.5 yen rounds up")
        #expect(try policy.split(Money(minorUnits: 9, currency: .eur)).fee.minorUnits == 0, "0.45 cent rounds down")
        #expect(try policy.split(Money(minorUnits: 12_345, currency: Currency(code: "KWD")!)).fee.minorUnits == 617)
    }
}
