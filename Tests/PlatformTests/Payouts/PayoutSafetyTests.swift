import Foundation
import Hummingbird
import HTTPTypes
import Platform
import PlatformTesting
import SQLKit
import Testing

/// Nobody is paid twice: not by a run repeated, not by two runs at once, not by a run that dies
/// between the ledger move and the provider call. And a replaced payout method waits.
@Suite struct PayoutSafetyTests {
    struct Stopped: Error {}

    func run(_ h: CheckoutHarness, batch: Int = 500, afterLedgerMove: @escaping @Sendable () async throws -> Void = {}) -> PayoutRun {
        PayoutRun(database: h.database, clock: h.clock, providers: PaymentProviders([h.provider]), minimum: .standard,
                  mailFrom: "payouts@platform.example", logger: quietLogger, batch: batch, afterLedgerMove: afterLedgerMove)
    }

    /// Three organizers with 4,750 each available and a payout method.
    func organizers(_ h: CheckoutHarness) async throws -> [(key: String, id: String)] {
        var keys = [(h.organizerKey, try await h.organizerID().rawValue)]
        for slug in ["second", "third"] {
            let other = try await h.client.createOrganizer(admin: h.adminKey, slug: slug)
            let event = try await h.client.createEvent(other.key, status: "live")
            let variant = try await h.client.createVariant(other.key, event: event)
            let placed = try await h.client.send(.post, "/api/v1/public/events/\(event)/orders",
                                                 json: #"{"lines":[{"variant_id":"\#(variant)","quantity":2}],"email":"b@example.com","provider":"test"}"#,
                                                 headers: [HTTPField.Name("Idempotency-Key")!: slug])
            let order = try #require((placed.json["order"] as? [String: Any])?["id"] as? String, "\(placed.text)")
            _ = try await h.deliver(id: "paid-\(order)", type: "paid", order: order, amount: 5_000)
            keys.append((other.key, other.id))
        }
        try await h.paidOrder()
        for (index, (key, id)) in keys.enumerated() {
            #expect(try await h.setPayoutMethod("test_acct_\(index)", key: key, organizer: id).status == .ok)
        }
        try await h.releaseAll()
        return keys
    }

    @Test(arguments: TestEngines.all)
    func twoRunsAtOnceAndARunRepeatedPayEachOrganizerOnce(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            _ = try await organizers(h)
            let (first, second) = (run(h), run(h))
            async let a = first.run(PayoutRunRequest())
            async let b = second.run(PayoutRunRequest())
            let reports = try await [a, b]
            #expect(reports.map(\.payouts.count).reduce(0, +) == 3, "three payouts between the two runs")
            _ = try await run(h).run(PayoutRunRequest())
            let payouts = try await h.payouts()
            #expect(payouts.count == 3 && Set(payouts.map(\.organizerID)).count == 3)
            let listed = try await h.client.get("/api/v1/admin/payouts?limit=2", key: h.adminKey).json
            #expect((listed["data"] as? [Any])?.count == 2 && listed["next_cursor"] is String)
            let own = try await h.organizerID()
            let filtered = try #require(try await h.client.get("/api/v1/admin/payouts?organizer_id=\(own)", key: h.adminKey).json["data"] as? [[String: Any]])
            #expect(filtered.map { $0["organizer_id"] as? String } == [own.rawValue])
            #expect(try await h.client.get("/api/v1/admin/payouts?organizer_id=nobody", key: h.adminKey).status == .unprocessableContent)
            #expect(try await h.client.get("/api/v1/admin/payouts", key: h.organizerKey).status == .forbidden)
            #expect(Set(h.provider.payoutCalls.map(\.payoutID)).count == 3 && h.provider.payoutCalls.count == 3)
            #expect(payouts.allSatisfy { $0.amount.minorUnits == 4_750 && $0.status == .sent })
        }
    }

    @Test(arguments: TestEngines.all)
    func aRunThatDiesAfterTheLedgerMoveIsFinishedOnceByTheNextRunWithTheSameIDs(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            _ = try await organizers(h)
            await #expect(throws: Stopped.self) { try await run(h) { throw Stopped() }.run(PayoutRunRequest()) }
            let written = try await h.payouts()
            #expect(written.count == 3 && written.allSatisfy { $0.status == .sending })
            #expect(h.provider.payoutCalls.isEmpty, "the provider was never called")
            #expect(try await h.balance()["in_transit"] as? Int == 4_750)

            let early = try await run(h).run(PayoutRunRequest())
            #expect(early.payouts.isEmpty, "nothing new to pay, and the dead run's lease still holds")
            h.clock.advance(minutes: 6)
            let resumed = try await run(h).run(PayoutRunRequest())
            #expect(Set(resumed.payouts.compactMap(\.payoutID)) == Set(written.map(\.id)), "the same payouts, by the same ids")
            #expect(h.provider.payoutCalls.count == 3)

            // A run that dies after the provider took the payouts but before recording it: the
            // provider's idempotency keys make the repeat harmless.
            for payout in try await h.payouts() { try await h.deliverPayout("payout_paid", payout.id) }
            #expect(try await h.balance()["paid_out"] as? Int == 4_750)
            #expect(try await h.payouts().allSatisfy { $0.status == .settled })
        }
    }

    @Test(arguments: TestEngines.all)
    func aProviderOutageLeavesPayoutsToBeSentAgainLater(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            try await h.paidOrder()
            try await h.releaseAll()
            _ = try await h.setPayoutMethod("test_acct_1")
            h.provider.fail(with: .unavailable("down"))
            let failed = try #require(try await run(h).run(PayoutRunRequest()).payouts.first)
            #expect(failed.status == "sending" && failed.error == "unavailable: down")
            let batch = try #require(try await h.payouts().first?.batchID, "put in a batch before the provider was asked")
            h.provider.fail(with: nil)
            h.clock.advance(minutes: 120)
            let retried = try #require(try await run(h).run(PayoutRunRequest()).payouts.first)
            #expect(retried.payoutID == failed.payoutID && retried.status == "sent")
            // Sent again in the batch it was first put in, under the same id.
            #expect(h.provider.payoutCalls.map(\.batchID) == [batch] && batch.hasPrefix("batch_"))
            #expect(try await h.payouts().first?.batchID == batch)
        }
    }

    /// A provider that sends only part of a balance (PayPal: whole forints) is paid that part; the
    /// rest stays available for a later payout.
    @Test(arguments: TestEngines.all)
    func aPayoutIsWhatTheProviderCanSendAndTheRestStaysAvailable(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            try await h.paidOrder()
            try await h.releaseAll()
            _ = try await h.setPayoutMethod("test_acct_1")
            h.provider.payOutInSteps(of: 1_000)
            let sent = try #require(try await run(h).run(PayoutRunRequest()).payouts.first)
            #expect(sent.amount.minorUnits == 4_000 && sent.status == "sent")
            #expect(h.provider.payoutCalls.map(\.amount.minorUnits) == [4_000])
            let balance = try await h.balance()
            #expect(balance["available"] as? Int == 750 && balance["in_transit"] as? Int == 4_000)
        }
    }

    @Test(arguments: TestEngines.all)
    func aReplacedPayoutMethodIsToldToTheOrganizerAndWaitsForApproval(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            try await h.paidOrder()
            try await h.releaseAll()
            _ = try await h.setPayoutMethod("test_acct_1")
            let organizer = try await h.organizerID()
            #expect(try await h.client.send(.post, "/api/v1/admin/organizers/\(organizer)/payout-method/approval", key: h.adminKey).status == .notFound,
                    "a first method needs no approval")
            #expect(try await h.setPayoutMethod("test_acct_2").status == .ok)
            struct Mail: Decodable { let recipient: String }
            let told = try await h.database.read { sql in
                try await sql.raw("SELECT recipient FROM outbox_messages WHERE kind = 'payout_method_changed'").all(decoding: Mail.self)
            }
            #expect(told.map(\.recipient) == ["h@harness.example"])
            let waiting = try #require((try await h.payoutRun().json["skipped"] as? [[String: Any]])?.first)
            #expect((waiting["reason"] as? String)?.contains("awaits an admin's approval") == true)
            #expect(try await h.client.send(.post, "/api/v1/admin/organizers/\(organizer)/payout-method/approval", key: h.organizerKey).status == .forbidden)
            #expect(try await h.client.send(.post, "/api/v1/admin/organizers/\(organizer)/payout-method/approval", key: h.adminKey).status == .noContent)
            let paid = try #require((try await h.payoutRun().json["payouts"] as? [[String: Any]])?.first)
            #expect(paid["status"] as? String == "sent")
            #expect(h.provider.payoutCalls.map(\.account) == ["test_acct_2"])
        }
    }

    @Test(arguments: TestEngines.all)
    func aPayoutMovedOnBeforeItsCallIsNotSent(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            try await h.paidOrder()
            try await h.releaseAll()
            _ = try await h.setPayoutMethod("test_acct_1")
            let report = try await run(h) {
                for payout in try await h.payouts() { try await h.deliverPayout("payout_failed", payout.id) }
            }.run(PayoutRunRequest())
            #expect(report.payouts.map(\.status) == ["failed"])
            #expect(h.provider.payoutCalls.isEmpty)
            #expect(try await h.balance()["available"] as? Int == 4_750)
        }
    }

    @Test(arguments: TestEngines.all)
    func organizersClaimedOneAtATimeArePaidEachOnce(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            _ = try await organizers(h)
            let report = try await run(h, batch: 1).run(PayoutRunRequest())
            #expect(report.payouts.count == 3 && Set(report.payouts.map(\.organizerID)).count == 3)
            #expect(try await h.payouts().allSatisfy { $0.status == .sent && $0.amount.minorUnits == 4_750 })
        }
    }

    @Test(arguments: TestEngines.all)
    func aFailureReportedBeforeTheAnswerIsRecordedWinsAndNoNoticeIsSent(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            try await h.paidOrder()
            try await h.releaseAll()
            _ = try await h.setPayoutMethod("test_acct_1")
            // The provider's failure event is applied before the run records the provider's answer.
            h.provider.beforePayoutAnswer { payouts in
                for payout in payouts { try await h.deliverPayout("payout_failed", try #require(PayoutID(payout.payoutID))) }
            }
            let report = try await run(h).run(PayoutRunRequest())
            let line = try #require(report.payouts.first)
            #expect(line.status == "failed", "the report says what is stored")
            let payout = try #require(try await h.payouts().first)
            #expect(payout.status == .failed && payout.providerReference == "test_tr_\(payout.id)")
            #expect(try await h.balance()["available"] as? Int == 4_750)
            struct Mail: Decodable { let kind: String }
            let notices = try await h.database.read { sql in
                try await sql.raw("SELECT kind FROM outbox_messages WHERE kind = 'payout_notice'").all(decoding: Mail.self)
            }
            #expect(notices.isEmpty, "no 'payout sent' email for a payout that failed")

            // Paid after it failed: a contradiction for an admin, not a second booking.
            _ = try await h.deliver(id: "paid-late", type: "payout_paid", order: payout.id.rawValue)
            await h.drain()
            let dead = try #require(try await h.client.get("/api/v1/admin/webhooks?status=dead", key: h.adminKey).json["data"] as? [[String: Any]])
            #expect(dead.count == 1 && (dead.first?["last_error"] as? String)?.contains("is failed; it cannot become settled") == true)
            #expect(try await h.balance()["paid_out"] as? Int == 0)
        }
    }

    @Test func ledgerAccountsSortAsBytesOnPostgreSQL() async throws {
        guard TestEngines.all.contains(.postgres) else { return }
        try await withTestDatabase(.postgres) { database in
            struct Row: Decodable { let collationName: String? }
            let rows = try await database.read { sql in
                try await sql.raw("""
                    SELECT collation_name FROM information_schema.columns
                    WHERE table_schema = current_schema() AND table_name = 'ledger_transfers' AND column_name IN ('debit_account', 'credit_account')
                    """).all(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase)
            }
            #expect(rows.map(\.collationName) == ["C", "C"], "byte ranges over account codes hold under any database collation")
        }
    }

    @Test(arguments: TestEngines.all)
    func aPayoutUnconfirmedForADayIsNotSentAgainButResolvedByAnAdmin(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            try await h.paidOrder()
            try await h.releaseAll()
            _ = try await h.setPayoutMethod("test_acct_1")
            h.provider.fail(with: .unavailable("down"))
            let stuck = try #require(try await run(h).run(PayoutRunRequest()).payouts.first?.payoutID)
            h.provider.fail(with: nil)
            h.clock.advance(minutes: 21 * 60)
            let listed = try #require(try await run(h).run(PayoutRunRequest()).payouts.first)
            #expect(listed.payoutID == stuck && listed.status == "sending" && listed.error?.contains("over 20 hours") == true)
            #expect(h.provider.payoutCalls.isEmpty, "past the providers' idempotency window: not sent again (the failed call records nothing)")

            let path = "/api/v1/admin/payouts/\(stuck)/resolution"
            #expect(try await h.client.post(path, key: h.organizerKey, json: #"{"outcome":"failed","reason":"x"}"#).status == .forbidden)
            let invalid = try await h.client.post(path, key: h.adminKey, json: #"{"outcome":"lost"}"#)
            #expect(invalid.status == .unprocessableContent && invalid.text.contains("outcome") && invalid.text.contains("reason"))
            let resolved = try await h.client.post(path, key: h.adminKey, json: #"{"outcome":"failed","reason":"Stripe has no transfer for it"}"#)
            #expect(resolved.status == .ok && resolved.string("status") == "failed", "\(resolved.text)")
            #expect(resolved.string("failure_reason") == "resolved by an admin: Stripe has no transfer for it")
            #expect(try await h.balance()["available"] as? Int == 4_750)
            #expect(try await h.client.post(path, key: h.adminKey, json: #"{"outcome":"settled","reason":"again"}"#).status == .conflict)
            let unknown = "/api/v1/admin/payouts/\(PayoutID.generate(at: h.clock.now()))/resolution"
            #expect(try await h.client.post(unknown, key: h.adminKey, json: #"{"outcome":"settled","reason":"x"}"#).status == .notFound)
        }
    }
}
