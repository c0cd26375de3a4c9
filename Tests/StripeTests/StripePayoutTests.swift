import Foundation
import HTTPTypes
import Hummingbird
import Platform
import PlatformTesting
import SQLKit
@testable import Stripe
import Testing

/// Payouts as Stripe Connect transfers: one POST /v1/transfers per payout, keyed by the payout id.
@Suite struct StripePayoutTests {
    func paidAndReleased(_ h: CheckoutHarness, fake: FakeStripe) async throws {
        let (_, session) = try await h.placeStripeOrder()
        _ = try await h.deliverStripe(fake.event(type: "checkout.session.completed", object: fake.sessionObject(session, paymentStatus: "paid")))
        await h.drain()
        h.clock.advance(minutes: 60 * 24 * 60)
        try await h.platform.holdRelease.run()
    }

    @Test func accountsAreConnectedAccountIDs() throws {
        let stripe = StripeProvider(configuration: StripeConfiguration(secretKey: "sk_test_x", webhookSecrets: ["whsec_x"]))
        #expect(try stripe.validate(account: "acct_1Nv0FGQ9RKHgCVdK") == "acct_1Nv0FGQ9RKHgCVdK")
        for bad in ["acct_", "acct_1 2", "ba_123", "someone@example.com"] {
            #expect(throws: PayoutAccountInvalid.self) { try stripe.validate(account: bad) }
        }
    }

    @Test(arguments: TestEngines.all)
    func aPayoutIsATransferKeyedByItsIDAndSettledByTheAnswer(engine: DatabaseEngine) async throws {
        try await withStripe(engine) { h, fake, _ in
            try await paidAndReleased(h, fake: fake)
            let organizer = try await h.organizerID()
            let set = try await h.client.patch("/api/v1/organizers/\(organizer)", key: h.organizerKey,
                                               json: #"{"payout":{"provider":"stripe","account":"acct_1Nv0FGQ9RKHgCVdK"}}"#)
            #expect(set.status == .ok, "\(set.text)")
            let run = try await h.client.post("/api/v1/admin/payouts", key: h.adminKey, json: "{}")
            let line = try #require((run.json["payouts"] as? [[String: Any]])?.first, "\(run.text)")
            let payout = try #require(line["payout_id"] as? String)
            #expect(line["status"] as? String == "settled" && line["amount"] as? Int == 4_750)
            let request = try #require(fake.requests.last { $0.path == "/v1/transfers" })
            let form = Dictionary(request.form, uniquingKeysWith: { $1 })
            #expect(form == ["amount": "4750", "currency": "eur", "destination": "acct_1Nv0FGQ9RKHgCVdK", "transfer_group": payout,
                             "description": "Payout \(payout)", "metadata[payout_id]": payout])
            #expect(request.headers["idempotency-key"] == payout)
            let after = try await h.balance()
            #expect(after["paid_out"] as? Int == 4_750 && after["in_transit"] as? Int == 0)

            // Reversed in full: the money is the organizer's available balance again.
            let reversed = #"{"id":"tr_test_000002","object":"transfer","amount":4750,"currency":"eur","transfer_group":"\#(payout)","metadata":{"payout_id":"\#(payout)"},"reversed":true,"amount_reversed":4750}"#
            #expect(try await h.deliverStripe(fake.event(type: "transfer.reversed", object: reversed)) == .ok)
            await h.drain()
            let returned = try await h.balance()
            #expect(returned["available"] as? Int == 4_750 && returned["paid_out"] as? Int == 0)
        }
    }

    @Test(arguments: TestEngines.all)
    func aRefusedTransferFailsThePayoutAndAnOutageLeavesItToBeSentAgain(engine: DatabaseEngine) async throws {
        try await withStripe(engine, maxRetries: 0) { h, fake, _ in
            try await paidAndReleased(h, fake: fake)
            let organizer = try await h.organizerID()
            _ = try await h.client.patch("/api/v1/organizers/\(organizer)", key: h.organizerKey,
                                         json: #"{"payout":{"provider":"stripe","account":"acct_closed"}}"#)
            let refused = try #require((try await h.client.post("/api/v1/admin/payouts", key: h.adminKey, json: "{}").json["payouts"] as? [[String: Any]])?.first)
            #expect(refused["status"] as? String == "failed")
            #expect((refused["error"] as? String)?.contains("capabilities") == true)
            #expect(try await h.balance()["available"] as? Int == 4_750)

            _ = try await h.client.patch("/api/v1/organizers/\(organizer)", key: h.adminKey,
                                         json: #"{"payout":{"provider":"stripe","account":"acct_1Nv0FGQ9RKHgCVdK"}}"#)
            _ = try await h.client.send(.post, "/api/v1/admin/organizers/\(organizer)/payout-method/approval", key: h.adminKey)
            fake.inject(503, type: "api_error", message: "down")
            let down = try #require((try await h.client.post("/api/v1/admin/payouts", key: h.adminKey, json: "{}").json["payouts"] as? [[String: Any]])?.first)
            #expect(down["status"] as? String == "sending")
            h.clock.advance(minutes: 10)
            let again = try #require((try await h.client.post("/api/v1/admin/payouts", key: h.adminKey, json: "{}").json["payouts"] as? [[String: Any]])?.first)
            #expect(again["payout_id"] as? String == down["payout_id"] as? String && again["status"] as? String == "settled")
            let keys = fake.requests.filter { $0.path == "/v1/transfers" }.map { $0.headers["idempotency-key"] }
            #expect(keys.count == 3 && keys[1] == keys[2], "the same key after the outage")
        }
    }
}
