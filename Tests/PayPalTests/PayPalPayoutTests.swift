import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import SQLKit
import Testing
@testable import PayPal

/// Payouts through PayPal Payouts on both engines: one call per batch under its sender_batch_id,
/// settled, failed or returned by item events, and never paid twice when an answer is lost.
@Suite struct PayPalPayoutTests {
    /// A PayPal order paid for 50.00 EUR, its money released to the organizer (47.50 after the fee),
    /// and the organizer's payout method set to a PayPal account.
    func paidAndReleased(_ h: CheckoutHarness, fake: FakePayPal) async throws {
        let (order, paypal) = try await h.placePayPalOrder()
        #expect(try await h.returnFromPayPal(try fake.approve(paypal)).status == .seeOther)
        #expect(try await h.status(of: order) == "paid")
        h.clock.advance(minutes: 60 * 24 * 60)
        try await h.platform.holdRelease.run()
        let set = try await h.client.patch("/api/v1/organizers/\(try await h.organizerID())", key: h.organizerKey,
                                           json: #"{"payout":{"provider":"paypal","account":"organizer@example.com"}}"#)
        #expect(set.status == .ok, "\(set.text)")
    }

    func runPayouts(_ h: CheckoutHarness) async throws -> [String: Any] {
        let run = try await h.client.post("/api/v1/admin/payouts", key: h.adminKey, json: "{}")
        return try #require((run.json["payouts"] as? [[String: Any]])?.first, "\(run.text)")
    }

    func batchID(of payout: String, _ h: CheckoutHarness) async throws -> String? {
        struct Row: Decodable { let batchId: String? }
        return try await h.database.read { sql in
            try await sql.raw("SELECT batch_id FROM payouts WHERE id = \(bind: payout)")
                .first(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase)?.batchId
        }
    }

    @Test func accountsArePayPalEmailAddresses() throws {
        let paypal = PayPalProvider(configuration: PayPalConfiguration(clientID: "c", clientSecret: "s", webhookID: "w"), baseURL: "http://x",
                                    certificates: PayPalCertificates(fetcher: ServedCertificates(), anchors: []))
        #expect(try paypal.validate(account: " organizer@example.com ") == "organizer@example.com")
        for bad in ["organizer", "@example.com", "a@b", "a b@example.com", "acct_1Nv0FGQ9RKHgCVdK", "a@example.com."] {
            #expect(throws: PayoutAccountInvalid.self, "\(bad)") { try paypal.validate(account: bad) }
        }
    }

    @Test(arguments: TestEngines.all)
    func aPayoutIsSentInABatchSettledByItsItemEventAndReturned(engine: DatabaseEngine) async throws {
        try await withPayPal(engine) { h, fake, _ in
            try await paidAndReleased(h, fake: fake)
            let line = try await runPayouts(h)
            let payout = try #require(line["payout_id"] as? String)
            #expect(line["status"] as? String == "sent" && line["amount"] as? Int == 4_750, "\(line)")
            let batch = try #require(try await batchID(of: payout, h))
            #expect(fake.batchCount == 1 && fake.items(paying: payout) == 1)
            let call = try #require(fake.requests.last { $0.path == "/v1/payments/payouts" })
            #expect(call.method == "POST")
            #expect(try await h.balance()["in_transit"] as? Int == 4_750)

            fake.settleItem(payout, as: "SUCCESS")
            #expect(try await h.deliverPayPal(try fake.payoutItemEvent("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", paying: payout)) == .ok)
            #expect(try await h.deliverPayPal(try fake.batchEvent("PAYMENT.PAYOUTSBATCH.SUCCESS", senderBatchID: batch)) == .ok)
            await h.drain()
            var balance = try await h.balance()
            #expect(balance["paid_out"] as? Int == 4_750 && balance["in_transit"] as? Int == 0)

            // Returned (the account was closed after it was paid): the money is available again.
            fake.settleItem(payout, as: "RETURNED")
            #expect(try await h.deliverPayPal(try fake.payoutItemEvent("PAYMENT.PAYOUTS-ITEM.RETURNED", paying: payout)) == .ok)
            await h.drain()
            balance = try await h.balance()
            #expect(balance["available"] as? Int == 4_750 && balance["paid_out"] as? Int == 0)
            #expect(try await h.client.get("/api/v1/payouts/\(payout)", key: h.organizerKey).string("status") == "returned")
        }
    }

    @Test(arguments: TestEngines.all)
    func aLostAnswerIsFollowedToTheOriginalBatchAndNothingIsPaidTwice(engine: DatabaseEngine) async throws {
        try await withPayPal(engine, maxRetries: 0) { h, fake, _ in
            try await paidAndReleased(h, fake: fake)
            fake.loseNextPayoutAnswer()
            let lost = try await runPayouts(h)
            let payout = try #require(lost["payout_id"] as? String)
            #expect(lost["status"] as? String == "sending", "\(lost)")
            let batch = try #require(try await batchID(of: payout, h))

            // The next run sends it again in the same batch: PayPal refuses the batch id and links the original.
            h.clock.advance(minutes: 10)
            let again = try await runPayouts(h)
            #expect(again["payout_id"] as? String == payout && again["status"] as? String == "sent", "\(again)")
            #expect(try await batchID(of: payout, h) == batch)
            #expect(fake.batchCount == 1 && fake.items(paying: payout) == 1, "paid once")
            #expect(fake.requests.contains { $0.method == "GET" && $0.path.hasPrefix("/v1/payments/payouts/") })

            fake.settleItem(payout, as: "SUCCESS")
            #expect(try await h.deliverPayPal(try fake.payoutItemEvent("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", paying: payout)) == .ok)
            await h.drain()
            #expect(try await h.balance()["paid_out"] as? Int == 4_750)
        }
    }

    @Test(arguments: TestEngines.all)
    func aFailedItemOrADeniedBatchGivesTheMoneyBack(engine: DatabaseEngine) async throws {
        try await withPayPal(engine) { h, fake, _ in
            try await paidAndReleased(h, fake: fake)
            let payout = try #require(try await runPayouts(h)["payout_id"] as? String)
            fake.settleItem(payout, as: "BLOCKED")
            #expect(try await h.deliverPayPal(try fake.payoutItemEvent("PAYMENT.PAYOUTS-ITEM.BLOCKED", paying: payout)) == .ok)
            await h.drain()
            #expect(try await h.balance()["available"] as? Int == 4_750)
            #expect(try await h.client.get("/api/v1/payouts/\(payout)", key: h.organizerKey).string("status") == "failed")

            // Paid out again, in a batch PayPal then denies as a whole.
            let second = try #require(try await runPayouts(h)["payout_id"] as? String)
            #expect(second != payout)
            let batch = try #require(try await batchID(of: second, h))
            #expect(try await h.deliverPayPal(try fake.batchEvent("PAYMENT.PAYOUTSBATCH.DENIED", senderBatchID: batch)) == .ok)
            await h.drain()
            #expect(try await h.client.get("/api/v1/payouts/\(second)", key: h.organizerKey).string("status") == "failed")
            #expect(try await h.balance()["available"] as? Int == 4_750)
        }
    }

    @Test(arguments: TestEngines.all)
    func aBatchDeniedInTheAnswerFailsItsPayouts(engine: DatabaseEngine) async throws {
        try await withPayPal(engine) { h, fake, _ in
            try await paidAndReleased(h, fake: fake)
            fake.denyNextBatch()
            let line = try await runPayouts(h)
            #expect(line["status"] as? String == "failed", "\(line)")
            #expect(try await h.balance()["available"] as? Int == 4_750)
        }
    }
}

@Suite struct PayPalPacerTests {
    @Test func callsAreSpacedToTheLimitPerMinute() async {
        let pacer = PayPalPacer(callsPerMinute: 400)
        #expect(pacer.interval == .milliseconds(150))
        let t0 = ContinuousClock.now
        let starts = [await pacer.slot(at: t0), await pacer.slot(at: t0), await pacer.slot(at: t0 + .milliseconds(10)),
                      await pacer.slot(at: t0 + .seconds(2))]
        #expect(starts == [t0, t0 + .milliseconds(150), t0 + .milliseconds(300), t0 + .seconds(2)])
        // Over a minute asked for at once: 401 calls start across 60 s, never more than 400 in one minute.
        let burst = PayPalPacer(callsPerMinute: 400)
        var last = t0
        for _ in 0..<401 { last = await burst.slot(at: t0) }
        #expect(last == t0 + .seconds(60))
    }
}
