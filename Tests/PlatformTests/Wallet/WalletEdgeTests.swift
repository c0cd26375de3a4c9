import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing

/// Buyer credit where money paths meet: refunds the provider refuses or makes on its own, credit
/// that expired, and the answers that say what happened.
@Suite struct WalletEdgeTests {
    @Test(arguments: TestEngines.all)
    func aSplitRefundTheProviderRefusesGivesNoCreditBackAndARetryPaysOnce(engine: DatabaseEngine) async throws {
        try await WalletFixture.run(engine) { h in
            let session = try await WalletFixture.funded(h, credit: 1_000)
            let id = try #require(try await WalletFixture.order(h, session: session, quantity: 2, provider: "test", extra: #","use_credit":1000"#).orderID)
            _ = try await h.deliver(id: "paid-split", type: "paid", order: id, amount: 4_000, reference: "pay-split")
            await h.drain()

            h.provider.fail(with: .declined("the card is closed"))
            let refused = try await h.client.post("/api/v1/orders/\(id)/refunds", key: h.organizerKey, json: #"{"amount":2000}"#)
            #expect(refused.status.code == 402)
            #expect(try await WalletFixture.balance(h, session) == (0, 0, 0), "no credit went back for a refund that did not happen")
            #expect(try await h.order(id).json["refunded"] as? Int == 0)

            h.provider.fail(with: nil)
            let retried = try await h.client.post("/api/v1/orders/\(id)/refunds", key: h.organizerKey, json: #"{"amount":2000}"#)
            #expect(retried.status == .accepted)
            #expect(retried.json["amount"] as? Int == 1_000 && retried.json["credit_amount"] as? Int == 1_000 && retried.string("status") == "requested")
            #expect(try await WalletFixture.balance(h, session) == (1_000, 0, 0))
            #expect(h.provider.refunds.last?.amount == Money(minorUnits: 1_000, currency: .eur))
            _ = try await h.deliver(id: "refunded-split", type: "refunded", order: id, amount: 1_000)
            await h.drain()
            #expect(try await h.order(id).json["refunded"] as? Int == 2_000)

            // `part: provider` without an amount refunds what is left of the provider's part.
            let rest = try await h.client.post("/api/v1/orders/\(id)/refunds", key: h.organizerKey, json: #"{"part":"provider"}"#)
            #expect(rest.status == .accepted && rest.json["amount"] as? Int == 3_000 && rest.json["credit_amount"] == nil)
        }
    }

    @Test(arguments: TestEngines.all)
    func aCreditRefundIsAnsweredSettledWithItsOwnId(engine: DatabaseEngine) async throws {
        try await WalletFixture.run(engine) { h in
            let session = try await WalletFixture.funded(h, credit: 2_500)
            let id = try #require(try await WalletFixture.order(h, session: session).orderID)
            let refund = try await h.client.post("/api/v1/orders/\(id)/refunds", key: h.organizerKey, json: "{}")
            #expect(refund.status == .accepted && refund.string("status") == "succeeded" && refund.json["amount"] as? Int == 2_500)
            let stored = try await h.client.get("/api/v1/admin/refunds?status=succeeded", key: h.adminKey)
            let ids = (stored.json["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
            #expect(ids.contains(try #require(refund.string("id"))), "the answer names the refund that was stored")
            #expect(try await h.order(id).string("status") == "refunded")
            #expect(try await h.variantCounts() == (0, 0))
            #expect(try await WalletFixture.balance(h, session) == (2_500, 0, 0))
            // Credit alone with less than the total asked for is a contradiction, not a shortage.
            let contradiction = try await WalletFixture.order(h, session: session, extra: #","use_credit":100"#)
            #expect(contradiction.status == .unprocessableContent && contradiction.errorFields == ["use_credit"])
        }
    }

    @Test(arguments: TestEngines.all)
    func aPackRefundTheProviderMakesOnItsOwnTakesTheCreditBack(engine: DatabaseEngine) async throws {
        try await WalletFixture.run(engine) { h in
            let session = try await h.buyerSession()
            let pack = try await h.creditPack(price: 5_000, credit: 5_000)
            let order = try await WalletFixture.buyPack(h, pack, price: 5_000)
            // Refunded in the provider's dashboard: no refund was asked for here.
            _ = try await h.deliver(id: "dashboard-refund", type: "refunded", order: order, amount: 2_000)
            await h.drain()
            #expect(try await WalletFixture.balance(h, session) == (3_000, 0, 0))

            // A refund whose call timed out but which the provider made: the credit goes back at the
            // failure, and leaves again with the provider's confirmation.
            h.clock.advance(minutes: 1)
            h.provider.fail(with: .unavailable("timed out"))
            #expect(try await h.client.post("/api/v1/admin/orders/\(order)/refunds", key: h.adminKey, json: #"{"amount":1000}"#).status.code == 503)
            #expect(try await WalletFixture.balance(h, session) == (3_000, 0, 0))
            h.provider.fail(with: nil)
            _ = try await h.deliver(id: "late-refund", type: "refunded", order: order, amount: 3_000)
            await h.drain()
            #expect(try await WalletFixture.balance(h, session) == (2_000, 0, 0))
            #expect(try await WalletFixture.status(h, order) == .partiallyRefunded)
        }
    }

    @Test(arguments: TestEngines.all)
    func expiredCreditIsNeitherSpentNorTakenTwice(engine: DatabaseEngine) async throws {
        try await WalletFixture.run(engine) { h in
            let session = try await h.buyerSession()
            let expiring = try await h.creditPack(price: 5_000, credit: 5_000, expiresDays: 30)
            let first = try await WalletFixture.buyPack(h, expiring, price: 5_000)
            h.clock.advance(minutes: 31 * 24 * 60)
            // The worker has not run: the credit is expired anyway.
            let late = try await WalletFixture.order(h, session: session)
            #expect(late.status.code == 402 && (late.json["balance"] as? [String: Any])?["available"] as? Int == 0)
            #expect(try await h.platform.wallets.expire() == 1)
            #expect(try await h.accountBalances()["credit_expired EUR"] == Int64(5_000))

            let lasting = try await h.creditPack(price: 3_000, credit: 3_000)
            try await WalletFixture.buyPack(h, lasting, price: 3_000)
            // Refunding the expired pack takes its credit back from what expired, not from the new pack.
            #expect(try await h.client.post("/api/v1/admin/orders/\(first)/refunds", key: h.adminKey, json: "{}").status == .accepted)
            #expect(try await WalletFixture.balance(h, session) == (3_000, 0, 0))
            #expect(try await h.accountBalances()["credit_expired EUR"] == Int64(0))
        }
    }

    @Test(arguments: TestEngines.all)
    func withoutTheCreditsPluginCreditIsRefusedBeforeAnythingIsReserved(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let session = try await h.buyerSession()
            let asked = try await WalletFixture.order(h, session: session, provider: "test", extra: #","use_credit":"all""#)
            #expect(asked.status == .unprocessableContent && asked.errorFields == ["use_credit"])
            #expect(try await h.variantCounts() == (0, 0))
        }
    }

    @Test(arguments: TestEngines.all)
    func theAdminsWalletListIsPagedByWallet(engine: DatabaseEngine) async throws {
        try await WalletFixture.run(engine) { h in
            let pack = try await h.creditPack(price: 1_000, credit: 1_000)
            for email in ["a@example.com", "b@example.com", "c@example.com"] { try await WalletFixture.buyPack(h, pack, price: 1_000, email: email) }
            var seen: [String] = []
            var cursor = ""
            for _ in 0..<4 {
                let page = try await h.client.get("/api/v1/admin/wallets?limit=2&after=\(cursor)", key: h.adminKey)
                #expect(page.status == .ok)
                seen += (page.json["data"] as? [[String: Any]] ?? []).compactMap { $0["email"] as? String }
                guard let next = page.string("next_cursor") else { break }
                cursor = next
            }
            #expect(seen == ["a@example.com", "b@example.com", "c@example.com"])
            #expect(try await h.client.get("/api/v1/admin/wallets?owing=maybe", key: h.adminKey).status == .unprocessableContent)
            #expect(try await h.client.get("/api/v1/admin/wallets", key: h.organizerKey).status == .forbidden)
        }
    }
}
