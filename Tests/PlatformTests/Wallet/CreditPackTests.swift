import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing

/// Credit packs: defined by admins, bought through a provider, credited once, taken back on refund.
@Suite struct CreditPackTests {
    @Test(arguments: TestEngines.all)
    func onlyAdminsDefinePacksAndBuyersSeeTheActiveOnes(engine: DatabaseEngine) async throws {
        try await WalletFixture.run(engine) { h in
            let asOrganizer = try await h.client.post("/api/v1/admin/credit-packs", key: h.organizerKey,
                                                      json: #"{"name":"X","price":100,"currency":"EUR","credit":100}"#)
            #expect(asOrganizer.status == .forbidden || asOrganizer.status == .notFound)
            let bad = try await h.client.post("/api/v1/admin/credit-packs", key: h.adminKey,
                                              json: #"{"name":"","price":0,"currency":"XXY","credit":-1,"expires_days":0}"#)
            #expect(bad.status == .unprocessableContent)
            #expect(Set(bad.errorFields) == ["name", "price", "currency", "credit", "expires_days"])
            let pack = try await h.creditPack(price: 4_000, credit: 5_000, expiresDays: 365)
            let other = try await h.creditPack(price: 1_000, credit: 1_000)
            let off = try await h.client.patch("/api/v1/admin/credit-packs/\(other)", key: h.adminKey, json: #"{"active":false}"#)
            #expect(off.status == .ok && off.json["active"] as? Bool == false)
            let listed = try await h.client.get("/api/v1/public/credit-packs")
            let packs = try #require(listed.json["data"] as? [[String: Any]])
            #expect(packs.map { $0["id"] as? String } == [pack])
            #expect(packs.first?["credit"] as? Int == 5_000 && packs.first?["expires_days"] as? Int == 365)
            #expect(try await h.client.get("/api/v1/admin/credit-packs", key: h.adminKey).json["data"].map { ($0 as? [Any])?.count } == 2)
            // An inactive pack is not for sale; nothing is placed.
            let inactive = try await h.client.send(.post, "/api/v1/public/credit-packs/\(other)/orders", json: #"{"email":"b@example.com","provider":"test"}"#,
                                                   headers: [HTTPField.Name("Idempotency-Key")!: "k"])
            #expect(inactive.status == .notFound)
            let byCredit = try await h.client.send(.post, "/api/v1/public/credit-packs/\(pack)/orders", json: #"{"email":"b@example.com","provider":"credits"}"#,
                                                   headers: [HTTPField.Name("Idempotency-Key")!: "k2"])
            #expect(byCredit.status == .unprocessableContent && byCredit.errorFields == ["provider"], "credit does not buy credit")
            // On creation null is as absent: active by default, no expiry.
            let nulls = try await h.client.post("/api/v1/admin/credit-packs", key: h.adminKey,
                                                json: #"{"name":"N","price":100,"currency":"EUR","credit":100,"active":null,"expires_days":null}"#)
            #expect(nulls.status == .created && nulls.json["active"] as? Bool == true)
            #expect(nulls.json["expires_days"] is NSNull || nulls.json["expires_days"] == nil)
        }
    }

    @Test(arguments: TestEngines.all)
    func tenConcurrentDuplicatePaymentEventsCreditOnce(engine: DatabaseEngine) async throws {
        try await WalletFixture.run(engine) { h in
            let session = try await h.buyerSession()
            // A promotion: 5000 of credit for 4000.
            let pack = try await h.creditPack(price: 4_000, credit: 5_000)
            let order = try await WalletFixture.placePack(h, pack)
            #expect(h.provider.checkouts.last?.total == Money(minorUnits: 4_000, currency: .eur))
            #expect(h.provider.checkouts.last?.lines.map(\.name) == ["Pack 5000"])
            // Five redeliveries of one event and five distinct events reporting the same payment.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<10 {
                    let id = index < 5 ? "paid-once" : "paid-\(index)"
                    group.addTask { _ = try await h.deliver(id: id, type: "paid", order: order, amount: 4_000, reference: "pay-pack") }
                }
                try await group.waitForAll()
            }
            await h.drain()
            #expect(try await WalletFixture.balance(h, session) == (5_000, 0, 0))
            let accounts = try await h.accountBalances()
            #expect(accounts["credit_promotions EUR"] == Int64(1_000), "the promotion is the platform's expense")
            #expect(accounts["clearing:test EUR"] == Int64(4_000))
            #expect(accounts.keys.allSatisfy { !$0.hasPrefix("organizer_") }, "no organizer's money moves")
            let grants = try await h.database.read { sql in try await WalletRepository(sql).grants(try #require(try await WalletRepository(sql).wallet(email: "buyer@example.com"))) }
            #expect(grants.count == 1)
            #expect(try await WalletFixture.status(h, order) == .paid)
        }
    }

    @Test(arguments: TestEngines.all)
    func aRefundedPackWhoseCreditWasSpentLeavesAShortfallThatBlocksSpending(engine: DatabaseEngine) async throws {
        try await WalletFixture.run(engine) { h in
            let session = try await h.buyerSession()
            let pack = try await h.creditPack(price: 5_000, credit: 5_000)
            let packOrder = try await WalletFixture.buyPack(h, pack, price: 5_000)
            h.clock.advance(minutes: 1)
            #expect(try await WalletFixture.order(h, session: session).status == .created)
            #expect(try await WalletFixture.balance(h, session) == (2_500, 0, 0))

            h.clock.advance(minutes: 1)
            let refund = try await h.client.post("/api/v1/admin/orders/\(packOrder)/refunds", key: h.adminKey, json: "{}")
            #expect(refund.status == .accepted, "\(refund.text)")
            #expect(refund.json["amount"] as? Int == 5_000)
            #expect(try await WalletFixture.balance(h, session) == (0, 0, 2_500), "the spent half is owed")
            let blocked = try await WalletFixture.order(h, session: session)
            #expect(blocked.status.code == 402 && (blocked.json["balance"] as? [String: Any])?["owed"] as? Int == 2_500)
            let owing = try await h.client.get("/api/v1/admin/wallets?owing=true", key: h.adminKey)
            #expect((owing.json["data"] as? [[String: Any]])?.map { $0["owed"] as? Int } == [2_500])
            _ = try await h.deliver(id: "pack-refunded", type: "refunded", order: packOrder, amount: 5_000)
            await h.drain()
            #expect(try await WalletFixture.status(h, packOrder) == .refunded)

            // New credit pays back what is owed first.
            h.clock.advance(minutes: 1)
            try await WalletFixture.buyPack(h, pack, price: 5_000)
            #expect(try await WalletFixture.balance(h, session) == (2_500, 0, 0))
            #expect(try await h.client.get("/api/v1/admin/wallets?owing=true", key: h.adminKey).json["data"].map { ($0 as? [Any])?.count } == 0)
            let reasons = try #require(try await WalletFixture.wallet(h, session).json["movements"] as? [[String: Any]])
            #expect(reasons.map { $0["reason"] as? String ?? "" } == ["owed_settled", "pack_purchased", "pack_refunded", "pack_refunded", "order", "pack_purchased"])
            #expect(reasons.map { $0["owed"] as? Int ?? 0 } == [-2_500, 0, 2_500, 0, 0, 0])
        }
    }

    @Test(arguments: TestEngines.all)
    func creditExpiresOldestGrantFirst(engine: DatabaseEngine) async throws {
        try await WalletFixture.run(engine) { h in
            let session = try await h.buyerSession()
            let expiring = try await h.creditPack(price: 2_000, credit: 2_000, expiresDays: 30)
            let lasting = try await h.creditPack(price: 2_000, credit: 2_000)
            try await WalletFixture.buyPack(h, expiring, price: 2_000)
            h.clock.advance(minutes: 1)
            try await WalletFixture.buyPack(h, lasting, price: 2_000)
            h.clock.advance(minutes: 1)
            // 2500 spent: all of the older (expiring) grant, 500 of the newer.
            #expect(try await WalletFixture.order(h, session: session).status == .created)
            #expect(try await WalletFixture.balance(h, session) == (1_500, 0, 0))
            h.clock.advance(minutes: 31 * 24 * 60)
            #expect(try await h.platform.wallets.expire() == 0, "the expiring grant has nothing left")

            // A second expiring purchase does expire, and only it.
            try await WalletFixture.buyPack(h, expiring, price: 2_000)
            #expect(try await WalletFixture.balance(h, session) == (3_500, 0, 0))
            h.clock.advance(minutes: 30 * 24 * 60)
            #expect(try await h.platform.wallets.expire() == 1)
            #expect(try await h.platform.wallets.expire() == 0, "once")
            #expect(try await WalletFixture.balance(h, session) == (1_500, 0, 0))
            #expect(try await h.accountBalances()["credit_expired EUR"] == Int64(2_000))
            let first = try #require((try await WalletFixture.wallet(h, session).json["movements"] as? [[String: Any]])?.first)
            #expect(first["reason"] as? String == "expired" && first["amount"] as? Int == -2_000)
        }
    }

    @Test(arguments: TestEngines.all)
    func aDisputedPackHoldsItsCreditUntilDecided(engine: DatabaseEngine) async throws {
        try await WalletFixture.run(engine) { h in
            let session = try await h.buyerSession()
            // A bonus pack: 6000 of credit for 5000.
            let pack = try await h.creditPack(price: 5_000, credit: 6_000)
            let won = try await WalletFixture.buyPack(h, pack, price: 5_000)
            h.clock.advance(minutes: 1)
            #expect(try await WalletFixture.order(h, session: session).status == .created)
            #expect(try await WalletFixture.balance(h, session) == (3_500, 0, 0))

            // The bank disputes the whole purchase: its 6000 of credit leaves, 2500 of it owed.
            h.clock.advance(minutes: 1)
            _ = try await h.deliver(id: "dp-open", type: "disputed", order: won, amount: 5_000, reference: "dp_pack")
            _ = try await h.deliver(id: "dp-open-again", type: "disputed", order: won, amount: 5_000, reference: "dp_pack")
            await h.drain()
            #expect(try await WalletFixture.balance(h, session) == (0, 0, 2_500))
            let held = try await h.accountBalances()
            #expect(held["disputes_held:\(Organizer.platformID) EUR"] == Int64(5_000) && held["disputed:test EUR"] == Int64(5_000))
            #expect(held["credit_promotions EUR"] == Int64(0), "the bonus went back to the promotions")

            h.clock.advance(minutes: 1)
            _ = try await h.deliver(id: "dp-won", type: "dispute_won", order: won, amount: 5_000, reference: "dp_pack")
            await h.drain()
            #expect(try await WalletFixture.balance(h, session) == (3_500, 0, 0), "won: the credit is back, less nothing")
            let after = try await h.accountBalances()
            #expect(after["disputes_held:\(Organizer.platformID) EUR"] == Int64(0) && after["clearing:test EUR"] == Int64(5_000))

            // Another purchase disputed and lost: its credit stays gone.
            let lost = try await WalletFixture.buyPack(h, pack, price: 5_000)
            #expect(try await WalletFixture.balance(h, session) == (9_500, 0, 0))
            _ = try await h.deliver(id: "dp2-open", type: "disputed", order: lost, amount: 5_000, reference: "dp_pack_2")
            _ = try await h.deliver(id: "dp2-lost", type: "dispute_lost", order: lost, amount: 5_000, reference: "dp_pack_2")
            await h.drain()
            #expect(try await WalletFixture.balance(h, session) == (3_500, 0, 0))
            let reasons = try #require(try await WalletFixture.wallet(h, session).json["movements"] as? [[String: Any]]).compactMap { $0["reason"] as? String }
            #expect(reasons.first == "pack_disputed" && reasons.contains("pack_dispute_won") && !reasons.contains("pack_refunded"), "\(reasons)")
        }
    }

    @Test(arguments: TestEngines.all)
    func aPackRefundTheProviderRefusesGivesTheCreditBack(engine: DatabaseEngine) async throws {
        try await WalletFixture.run(engine) { h in
            let session = try await h.buyerSession()
            let pack = try await h.creditPack(price: 5_000, credit: 5_000)
            let order = try await WalletFixture.buyPack(h, pack, price: 5_000)
            h.clock.advance(minutes: 1)
            h.provider.fail(with: .declined("refunds are off"))
            let refused = try await h.client.post("/api/v1/admin/orders/\(order)/refunds", key: h.adminKey, json: #"{"amount":2000}"#)
            #expect(refused.status.code == 402)
            #expect(try await WalletFixture.balance(h, session) == (5_000, 0, 0), "the credit is back in the wallet")
            h.provider.fail(with: nil)
            #expect(try await h.client.post("/api/v1/admin/orders/\(order)/refunds", key: h.adminKey, json: #"{"amount":2000}"#).status == .accepted)
            #expect(try await WalletFixture.balance(h, session) == (3_000, 0, 0))
        }
    }
}
