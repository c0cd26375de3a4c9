import Foundation
import HTTPTypes
import Hummingbird
import Platform
import PlatformTesting
@testable import Sandbox
import Testing

/// The Sandbox pays organizers offline: a payout is answered at once and settled by the
/// Sandbox's own signed webhook; `sandbox:reject` and `sandbox:fail` try the unhappy paths.
@Suite struct SandboxPayoutTests {
    func sandbox() -> SandboxProvider { SandboxProvider(secret: "sandbox-test-secret", baseURL: "http://127.0.0.1:8080") }

    func paidAndReleased(_ h: CheckoutHarness) async throws {
        let id = try #require(try await h.placeOrder(body: h.cart(quantity: 2)).orderID)
        _ = try await h.deliver(id: "paid-\(id)", type: "paid", order: id, amount: 5_000)
        await h.drain()
        h.clock.advance(minutes: 60 * 24 * 60)
        try await h.platform.holdRelease.run()
    }

    @Test func accountsAreSandboxNames() throws {
        let provider = sandbox()
        #expect(try provider.validate(account: "sandbox") == "sandbox")
        #expect(try provider.validate(account: "sandbox:alice-1") == "sandbox:alice-1")
        for bad in ["", "acct_1", "sandbox:", "sandbox:a b", "sandbox:" + String(repeating: "x", count: 65)] {
            #expect(throws: PayoutAccountInvalid.self) { try provider.validate(account: bad) }
        }
    }

    @Test(arguments: TestEngines.all)
    func aPayoutIsSettledByTheSandboxsOwnWebhookOnce(engine: DatabaseEngine) async throws {
        let provider = sandbox()
        try await CheckoutHarness.run(engine, extraProviders: [provider]) { h in
            try await paidAndReleased(h)
            let organizer = try await h.organizerID()
            let wrong = try await h.client.patch("/api/v1/organizers/\(organizer)", key: h.organizerKey,
                                                 json: #"{"payout":{"provider":"sandbox","account":"acct_123"}}"#)
            #expect(wrong.status == .unprocessableContent && wrong.text.contains("sandbox:<name>"))
            let set = try await h.client.patch("/api/v1/organizers/\(organizer)", key: h.organizerKey,
                                               json: #"{"payout":{"provider":"sandbox","account":"sandbox:alice"}}"#)
            #expect(set.status == .ok)
            let run = try await h.client.post("/api/v1/admin/payouts", key: h.adminKey, json: "{}")
            let line = try #require((run.json["payouts"] as? [[String: Any]])?.first, "\(run.text)")
            #expect(line["provider"] as? String == "sandbox" && line["amount"] as? Int == 4_750 && line["status"] as? String == "sent")
            #expect(try await h.balance()["in_transit"] as? Int == 4_750)
            await h.drain()
            let after = try await h.balance()
            #expect(after["in_transit"] as? Int == 0 && after["paid_out"] as? Int == 4_750)
            let payouts = try #require(try await h.client.get("/api/v1/payouts", key: h.organizerKey).json["data"] as? [[String: Any]])
            #expect(payouts.first?["status"] as? String == "settled")
            #expect((payouts.first?["provider_reference"] as? String)?.hasPrefix("sbx_tr_") == true)

            // Sent again (a run that died before recording the answer): the same answer, no second settlement.
            let id = try #require(payouts.first?["id"] as? String)
            let again = try await provider.send(payouts: [PayoutInstruction(payoutID: id, account: "sandbox:alice",
                                                                             amount: Money(minorUnits: 4_750, currency: .eur), description: "again", batchID: "batch_again")])
            #expect(again[id] == .accepted(reference: "sbx_tr_" + id.dropFirst(3), settled: false))
            #expect(await h.drain() == 0, "no second settlement event")
        }
    }

    @Test(arguments: TestEngines.all)
    func rejectedAndFailedPayoutsGiveTheMoneyBack(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine, extraProviders: [sandbox()]) { h in
            try await paidAndReleased(h)
            let organizer = try await h.organizerID()
            for account in ["sandbox:reject", "sandbox:fail"] {
                _ = try await h.client.patch("/api/v1/organizers/\(organizer)", key: h.adminKey,
                                             json: #"{"payout":{"provider":"sandbox","account":"\#(account)"}}"#)
                _ = try await h.client.send(.post, "/api/v1/admin/organizers/\(organizer)/payout-method/approval", key: h.adminKey)
                let run = try await h.client.post("/api/v1/admin/payouts", key: h.adminKey, json: #"{"organizer_id":"\#(organizer)"}"#)
                #expect((run.json["payouts"] as? [[String: Any]])?.count == 1, "\(run.text)")
                await h.drain()
                #expect(try await h.balance()["available"] as? Int == 4_750, "\(account): the money is back")
            }
            let statuses = try #require(try await h.client.get("/api/v1/payouts", key: h.organizerKey).json["data"] as? [[String: Any]])
            #expect(statuses.map { $0["status"] as? String } == ["failed", "failed"])
            #expect(statuses.compactMap { $0["failure_reason"] as? String }.count == 2)
        }
    }
}
