import Foundation
import Hummingbird
import Platform
import PlatformTesting
import SQLKit
import Testing

/// Payout runs pay each organizer its available balance once, per currency, and the ledger
/// follows every step: sent, settled, failed, returned.
@Suite struct PayoutTests {
    @Test(arguments: TestEngines.all)
    func aRunPaysTheAvailableBalanceAndTheSettlementEventCompletesIt(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let order = try await h.paidOrder()
            let invalid = try await h.setPayoutMethod("iban:DE00")
            #expect(invalid.status == .unprocessableContent, "\(invalid.text)")
            #expect(invalid.text.contains("payout.account"))
            let organizer = try await h.organizerID()
            let method = try await h.database.read { sql in try await PayoutMethodRepository(sql).find(organizer) }
            #expect(method == nil, "a refused method writes nothing")
            #expect(try await h.setPayoutMethod("test_acct_1").status == .ok)

            let early = try await h.payoutRun()
            #expect(early.status == .created)
            #expect((early.json["payouts"] as? [Any])?.isEmpty == true, "nothing is available before the hold ends")

            try await h.releaseAll()
            let dry = try await h.payoutRun(#"{"dry_run":true}"#)
            #expect(dry.status == .ok)
            let planned = try #require((dry.json["payouts"] as? [[String: Any]])?.first)
            #expect(planned["amount"] as? Int == 4_750 && planned["status"] as? String == "planned" && planned["payout_id"] == nil)
            #expect(try await h.payouts().isEmpty, "a dry run writes nothing")
            #expect(h.provider.payoutCalls.isEmpty)

            let real = try await h.payoutRun(#"{"currency":"EUR"}"#)
            let line = try #require((real.json["payouts"] as? [[String: Any]])?.first)
            #expect(line["amount"] as? Int == 4_750 && line["status"] as? String == "sent", "\(real.text)")
            let payout = try #require(try await h.payouts().first)
            #expect(payout.status == .sent && payout.providerReference == "test_tr_\(payout.id)")
            #expect(h.provider.payoutCalls.map(\.account) == ["test_acct_1"])
            var balance = try await h.balance()
            #expect(balance["available"] as? Int == 0 && balance["in_transit"] as? Int == 4_750 && balance["paid_out"] as? Int == 0)
            struct Mail: Decodable { let kind: String, idempotencyKey: String }
            let mails = try await h.database.read { sql in
                try await sql.raw("SELECT kind, idempotency_key FROM outbox_messages WHERE kind = 'payout_notice'")
                    .all(decoding: Mail.self, keyDecodingStrategy: .convertFromSnakeCase)
            }
            #expect(mails.map(\.idempotencyKey) == ["payout-notice-\(payout.id)"], "queued with the payout sent")

            try await h.deliverPayout("payout_paid", payout.id)
            try await h.deliverPayout("payout_paid", payout.id)
            balance = try await h.balance()
            #expect(balance["in_transit"] as? Int == 0 && balance["paid_out"] as? Int == 4_750)
            #expect(try await h.payouts().first?.status == .settled)
            #expect((try await h.payoutRun().json["payouts"] as? [Any])?.isEmpty == true, "nothing is left to pay")

            // The organizer's view: its payouts, the remittance advice of one, and its statement.
            let listed = try #require(try await h.client.get("/api/v1/payouts", key: h.organizerKey).json["data"] as? [[String: Any]])
            #expect(listed.map { $0["id"] as? String } == [payout.id.rawValue])
            let advice = try await h.client.get("/api/v1/payouts/\(payout.id)", key: h.organizerKey)
            let covered = try #require(advice.json["entries"] as? [[String: Any]])
            #expect(covered.map { $0["id"] as? String } == ["release:\(order)"])
            #expect(covered.first?["moved"] as? Int == 4_750 && covered.first?["event_title"] as? String == "Harness Night")
            let other = try await h.client.createOrganizer(admin: h.adminKey, slug: "other")
            #expect(try await h.client.get("/api/v1/payouts/\(payout.id)", key: other.key).status == .notFound)
        }
    }

    @Test(arguments: TestEngines.all)
    func organizersWithoutAMethodAreSkippedAndSmallBalancesWait(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            try await h.paidOrder(quantity: 1)
            try await h.releaseAll()
            let skipped = try #require((try await h.payoutRun().json["skipped"] as? [[String: Any]])?.first)
            #expect(skipped["reason"] as? String == "no payout method" && skipped["amount"] as? Int == 2_375)
            _ = try await h.setPayoutMethod("test_acct_1")
            let minimum = try #require(PayoutMinimum("2376,JPY=1"))
            let run = PayoutRun(database: h.database, clock: h.clock, providers: PaymentProviders([h.provider]), minimum: minimum,
                                mailFrom: "p@x.example", logger: quietLogger)
            let report = try await run.run(PayoutRunRequest())
            #expect(report.payouts.isEmpty && report.skipped.isEmpty, "below PAYOUT_MINIMUM: neither paid nor listed")
            #expect(try await h.payoutRun().status == .created)
            #expect(try await h.payouts().count == 1)
        }
    }

    @Test(arguments: TestEngines.all)
    func aRejectedOrFailedPayoutGivesTheMoneyBackAndTheNextRunPaysIt(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            try await h.paidOrder()
            try await h.releaseAll()
            _ = try await h.setPayoutMethod("test_acct_1")
            h.provider.answerPayouts { _ in .rejected(reason: "account closed") }
            let rejected = try #require((try await h.payoutRun().json["payouts"] as? [[String: Any]])?.first)
            #expect(rejected["status"] as? String == "failed" && rejected["error"] as? String == "account closed")
            #expect(try await h.balance()["available"] as? Int == 4_750)

            h.provider.answerPayouts { .accepted(reference: "test_tr_\($0.payoutID)", settled: false) }
            _ = try await h.payoutRun()
            let second = try #require(try await h.payouts().first { $0.status == .sent })
            try await h.deliverPayout("payout_failed", second.id)
            #expect(try await h.balance()["available"] as? Int == 4_750, "a failure after sending gives it back too")

            h.provider.answerPayouts { .accepted(reference: "test_tr_\($0.payoutID)", settled: true) }
            _ = try await h.payoutRun()
            let third = try #require(try await h.payouts().first { $0.status == .settled })
            #expect(try await h.balance()["paid_out"] as? Int == 4_750)
            try await h.deliverPayout("payout_returned", third.id)
            let back = try await h.balance()
            #expect(back["available"] as? Int == 4_750 && back["paid_out"] as? Int == 0)
            #expect(try await h.payouts().map(\.status).sorted { $0.rawValue < $1.rawValue } == [.failed, .failed, .returned])
        }
    }

    @Test(arguments: TestEngines.all)
    func aRefundAfterAPayoutIsOwedAndNettedAgainstTheNextSales(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let first = try await h.paidOrder()
            try await h.releaseAll()
            _ = try await h.setPayoutMethod("test_acct_1")
            _ = try await h.payoutRun()
            _ = try await h.deliver(id: "refund", type: "refunded", order: first, amount: 5_000)
            await h.drain()
            let owed = try await h.balance()
            #expect(owed["owed"] as? Int == 4_750 && owed["available"] as? Int == 0)
            #expect((try await h.payoutRun().json["payouts"] as? [Any])?.isEmpty == true, "nothing to pay while it owes")
            #expect(try await ledgerBalances(h)["organizer_available"] == 0, "the run booked the balance below zero as owed")
            #expect(try await ledgerBalances(h)["organizer_receivable"] == -4_750)
            #expect(try await h.balance()["owed"] as? Int == 4_750)
            #expect((try await h.payoutRun().json["payouts"] as? [Any])?.isEmpty == true)
            #expect(try await ledgerBalances(h)["organizer_receivable"] == -4_750, "booked once")

            // One sale is not enough to pay it back; three are, and the rest is paid out.
            try await h.paidOrder()
            try await h.releaseAll()
            let partly = try await h.balance()
            #expect(partly["owed"] as? Int == 0 && partly["available"] as? Int == 0, "4,750 of it paid back")
            let dry = try await h.payoutRun(#"{"dry_run":true}"#)
            #expect((dry.json["payouts"] as? [Any])?.isEmpty == true)
            #expect(try await ledgerBalances(h)["organizer_receivable"] == -4_750, "a dry run books nothing")
            for _ in 0..<2 { try await h.paidOrder() }
            try await h.releaseAll()
            #expect(try await h.balance()["available"] as? Int == 2 * 4_750)
            let netted = try #require((try await h.payoutRun().json["payouts"] as? [[String: Any]])?.first)
            #expect(netted["amount"] as? Int == 3 * 4_750 - 4_750)
            let after = try await ledgerBalances(h)
            #expect(after["organizer_receivable"] == 0 && after["organizer_available"] == 0)

            let types = try #require(try await h.client.get("/api/v1/ledger/entries", key: h.organizerKey).json["data"] as? [[String: Any]])
                .map { $0["type"] as? String ?? "" }
            #expect(types.filter { $0 == "owed" || $0 == "repaid" } == ["owed", "repaid"])
            let invariants = try await h.database.read { sql in try await LedgerInvariants.check(on: sql) }
            #expect(invariants == [])
        }
    }

    func ledgerBalances(_ h: CheckoutHarness) async throws -> [String: Int64] {
        let totals = try await h.database.read { sql in try await LedgerRepository(sql).accountTotals() }
        return Dictionary(uniqueKeysWithValues: totals.map { ($0.account.components(separatedBy: ":org_").first ?? $0.account, $0.credits - $0.debits) })
    }
}
