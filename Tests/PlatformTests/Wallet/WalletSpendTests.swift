import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing

/// Spending buyer credit at checkout: alone (paid at once) or split with a provider.
@Suite struct WalletSpendTests {
    @Test(arguments: TestEngines.all)
    func fiftyConcurrentSpendsOfOneBalanceNeverOverspend(engine: DatabaseEngine) async throws {
        try await WalletFixture.run(engine) { h in
            let session = try await h.buyerSession()
            // 10 tickets' worth of credit, for 50 buyers racing with it.
            let pack = try await h.creditPack(price: 25_000, credit: 25_000)
            try await WalletFixture.buyPack(h, pack, price: 25_000)
            #expect(try await WalletFixture.balance(h, session) == (25_000, 0, 0))

            let replies = try await withThrowingTaskGroup(of: APITestClient.Reply.self) { group in
                for _ in 0..<50 { group.addTask { try await WalletFixture.order(h, session: session) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let paid = replies.filter { $0.status == .created }
            let refused = replies.filter { $0.status.code == 402 }
            #expect(paid.count == 10 && refused.count == 40, "\(replies.map(\.status.code))")
            #expect(paid.allSatisfy { ($0.json["order"] as? [String: Any])?["status"] as? String == "paid" && $0.json["checkout_url"] as? String == nil })
            let problem = try #require(refused.first)
            #expect(problem.string("type") == "urn:platform:problem:insufficient-credit")
            #expect((problem.json["balance"] as? [String: Any])?["available"] as? Int == 0)
            #expect(try await WalletFixture.balance(h, session) == (0, 0, 0))
            #expect(try await h.variantCounts() == (10, 0), "nothing is reserved for a refused spend")
            let accounts = try await h.accountBalances()
            #expect(accounts["clearing:credits EUR"] == 0, "credit passes through its clearing")
            #expect(accounts["fee_revenue EUR"] == Int64(10 * 125))
        }
    }

    @Test(arguments: TestEngines.all)
    func creditNeedsASessionAndEnoughOfIt(engine: DatabaseEngine) async throws {
        try await WalletFixture.run(engine) { h in
            let none = try await WalletFixture.order(h, session: nil)
            #expect(none.status == .unauthorized)
            #expect(try await h.client.get("/api/v1/public/wallet").status == .unauthorized)
            #expect(try await h.client.get("/api/v1/public/wallet", key: "mts_nope").status == .unauthorized)
            let bogus = try await WalletFixture.order(h, session: "mts_nope")
            #expect(bogus.status == .unauthorized)
            let session = try await h.buyerSession()
            let empty = try await WalletFixture.order(h, session: session)
            #expect(empty.status.code == 402)
            #expect(empty.string("detail") == "2500 EUR of credit wanted, 0 available")
            let tooMuch = try await WalletFixture.order(h, session: session, provider: "test", extra: #","use_credit":100"#)
            #expect(tooMuch.status.code == 402, "an amount asked is more than the wallet has")
            let bad = try await WalletFixture.order(h, session: session, provider: "test", extra: #","use_credit":-5"#)
            #expect(bad.status == .unprocessableContent && bad.errorFields == ["use_credit"])
            // "all" of an empty wallet: the provider pays everything.
            let all = try await WalletFixture.order(h, session: session, provider: "test", extra: #","use_credit":"all""#)
            #expect(all.status == .created && all.json["checkout_url"] as? String != nil)
            #expect(try await h.variantCounts() == (0, 1))
        }
    }

    @Test(arguments: TestEngines.all)
    func aSplitPaymentHoldsCreditUntilTheProviderConfirms(engine: DatabaseEngine) async throws {
        try await WalletFixture.run(engine) { h in
            let session = try await h.buyerSession()
            let pack = try await h.creditPack(price: 1_000, credit: 1_000)
            try await WalletFixture.buyPack(h, pack, price: 1_000)
            h.clock.advance(minutes: 1)

            let placed = try await WalletFixture.order(h, session: session, quantity: 2, provider: "test", extra: #","use_credit":"all""#)
            #expect(placed.status == .created, "\(placed.text)")
            let id = try #require(placed.orderID)
            #expect(h.provider.checkouts.last?.total == Money(minorUnits: 4_000, currency: .eur), "the provider is asked for the rest only")
            #expect(try await WalletFixture.balance(h, session) == (0, 1_000, 0), "held credit counts against the available balance")

            // The provider reporting the whole total would be an overpayment: it must report its part.
            _ = try await h.deliver(id: "paid-split", type: "paid", order: id, amount: 4_000, reference: "pay-split")
            await h.drain()
            #expect(try await h.order(id).string("status") == "paid")
            #expect(try await WalletFixture.balance(h, session) == (0, 0, 0))
            let accounts = try await h.accountBalances()
            let organizer = try await h.organizerID()
            #expect(accounts["organizer_pending:\(organizer) EUR"] == 4_750, "the organizer's net of 5000, as for a card")
            #expect(accounts["clearing:test EUR"] == Int64(1_000 + 4_000), "the pack and the provider's part")

            // Refunded in part: credit back first, then the provider.
            h.clock.advance(minutes: 1)
            let refund = try await h.client.post("/api/v1/orders/\(id)/refunds", key: h.organizerKey, json: #"{"amount":1500}"#)
            #expect(refund.status == .accepted, "\(refund.text)")
            #expect(try await WalletFixture.balance(h, session) == (1_000, 0, 0), "the credit part is back at once")
            #expect(h.provider.refunds.last?.amount == Money(minorUnits: 500, currency: .eur))
            #expect(h.provider.refunds.last?.totalRefundedAfter == Money(minorUnits: 500, currency: .eur), "the provider counts its own part")
            #expect(try await h.order(id).json["refunded"] as? Int == 1_000)
            _ = try await h.deliver(id: "refunded-split", type: "refunded", order: id, amount: 500)
            await h.drain()
            let after = try await h.order(id)
            #expect(after.string("status") == "partially_refunded" && after.json["refunded"] as? Int == 1_500)

            // Naming the provider's part skips what credit is left (none is).
            let providerOnly = try await h.client.post("/api/v1/orders/\(id)/refunds", key: h.organizerKey, json: #"{"amount":3500,"part":"provider"}"#)
            #expect(providerOnly.status == .accepted, "\(providerOnly.text)")
            #expect(h.provider.refunds.last?.totalRefundedAfter == Money(minorUnits: 4_000, currency: .eur))
            _ = try await h.deliver(id: "refunded-split-2", type: "refunded", order: id, amount: 4_000)
            await h.drain()
            #expect(try await h.order(id).string("status") == "refunded")

            let movements = try #require(try await WalletFixture.wallet(h, session).json["movements"] as? [[String: Any]])
            #expect(movements.map { $0["reason"] as? String ?? "" } == ["refund", "order", "pack_purchased"])
            #expect(movements.map { $0["amount"] as? Int ?? 0 } == [1_000, -1_000, 1_000])
            #expect(movements[1]["order_id"] as? String == id && movements[2]["credit_pack_id"] as? String == pack)
        }
    }

    @Test(arguments: TestEngines.all)
    func anExpiredSplitOrderReleasesItsCredit(engine: DatabaseEngine) async throws {
        try await WalletFixture.run(engine) { h in
            let session = try await WalletFixture.funded(h, credit: 1_000)
            let placed = try await WalletFixture.order(h, session: session, provider: "test", extra: #","use_credit":600"#)
            let id = try #require(placed.orderID)
            #expect(try await WalletFixture.balance(h, session) == (400, 600, 0))

            h.clock.advance(minutes: 31)
            #expect(try await h.platform.expiry.run() == 1)
            #expect(try await h.order(id).string("status") == "expired")
            #expect(try await WalletFixture.balance(h, session) == (1_000, 0, 0))
            #expect(try await h.variantCounts() == (0, 0))

            // A payment that arrives after the credit went back is given back too.
            _ = try await h.deliver(id: "late", type: "paid", order: id, amount: 1_900, reference: "pay-late")
            await h.drain()
            #expect(try await h.order(id).string("status") == "review")
            #expect(h.provider.refunds.last?.amount == Money(minorUnits: 1_900, currency: .eur))
            #expect(try await WalletFixture.balance(h, session) == (1_000, 0, 0))
        }
    }

    @Test(arguments: TestEngines.all)
    func aCreditOrderPaysAnotherOrganizerTheSameNetAsACard(engine: DatabaseEngine) async throws {
        try await WalletFixture.run(engine) { h in
            let catalog = Catalog(database: h.database, clock: h.clock)
            let (other, _) = try await catalog.createOrganizer(name: "Other", slug: "other", email: "o@other.example", feeBasisPoints: 800)
            let event = try await catalog.createEvent(
                NewEvent(title: "Other Night", startsAt: h.clock.now().adding(minutes: 60 * 24 * 10), timezone: "UTC", currency: .eur, status: .live),
                organizer: other.id)
            let (variant, _) = try await catalog.createVariant(NewVariant(name: "Seat", price: 3_000, quota: 10, status: .live),
                                                               event: event.id, organizer: other.id)
            let session = try await WalletFixture.funded(h, credit: 3_000)
            func place(_ provider: String, _ email: String) async throws -> APITestClient.Reply {
                try await h.client.send(.post, "/api/v1/public/events/\(event.id)/orders",
                                        json: #"{"lines":[{"variant_id":"\#(variant.id)","quantity":1}],"email":"\#(email)","provider":"\#(provider)"}"#,
                                        headers: [HTTPField.Name("Idempotency-Key")!: UUID().uuidString, .authorization: "Bearer \(session)"])
            }
            let byCredit = try await place("credits", "buyer@example.com")
            #expect(byCredit.status == .created)
            let byCard = try #require(try await place("test", "card@example.com").orderID)
            _ = try await h.deliver(id: "card", type: "paid", order: byCard, amount: 3_000, reference: "pay-card")
            await h.drain()
            let accounts = try await h.accountBalances()
            #expect(accounts["organizer_pending:\(other.id) EUR"] == Int64(2 * 2_760), "8% of 3000 each, whichever way it was paid")
            let creditOrder = try #require(byCredit.orderID.flatMap(OrderID.init))
            let nets = try await h.database.read { sql in try await LedgerRepository(sql).forOrder(creditOrder) }
            #expect(nets.filter { $0.kind == .orderNet }.map(\.amount) == [2_760])
        }
    }
}
