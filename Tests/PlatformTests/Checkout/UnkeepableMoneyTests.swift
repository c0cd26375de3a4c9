import Foundation
import Platform
import PlatformTesting
import SQLKit
import Testing

/// Money the platform took but an order cannot keep goes back in full through the provider that
/// took it, measured against what that payment took; a refund that fails is a failed refund row
/// an admin sees, its money waiting in the review account.
@Suite struct UnkeepableMoneyTests {
    /// The provider's review and refunds accounts, where money that cannot be kept waits.
    func reviewBalance(_ h: CheckoutHarness) async throws -> [String: Int64] {
        try await h.accountBalances().filter { $0.key.hasPrefix("review:") || $0.key.hasPrefix("refunds:") }
    }

    /// The instance: 3000 paid for an order of 2500 was put in review, and its automatic refund was
    /// refused by our own "at most what is left (2500)" check, leaving only a log line.
    @Test(arguments: TestEngines.all)
    func anOverpaymentGoesBackInFull(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try #require(try await h.placeOrder().orderID)
            _ = try await h.deliver(id: "over", type: "paid", order: id, amount: 3_000)
            await h.drain()
            #expect(try await h.order(id).string("status") == "review")
            #expect(h.provider.refunds.map(\.amount) == [Money(minorUnits: 3_000, currency: .eur)], "all of what the payment took")
            _ = try await h.deliver(id: "over-back", type: "refunded", order: id, amount: 3_000)
            await h.drain()
            let order = try await h.order(id)
            #expect(order.string("status") == "review" && order.json["refunded"] as? Int == 3_000)
            #expect(try await reviewBalance(h).values.allSatisfy { $0 == 0 }, "nothing left in review or refunds")
        }
    }

    @Test(arguments: TestEngines.all)
    func aPaymentInAnotherCurrencyGoesBackInThatCurrency(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try #require(try await h.placeOrder().orderID)
            _ = try await h.deliver(id: "usd", type: "paid", order: id, amount: 2_500, currency: "USD")
            await h.drain()
            #expect(try await h.order(id).string("status") == "review")
            #expect(h.provider.refunds.map(\.amount) == [Money(minorUnits: 2_500, currency: .usd)])
            _ = try await h.deliver(id: "usd-back", type: "refunded", order: id, amount: 2_500, currency: "USD")
            await h.drain()
            #expect(try await h.inboxCount(status: "dead") == 0, "the refund in USD is booked, not dead")
            #expect(try await reviewBalance(h).values.allSatisfy { $0 == 0 })
            // The buyer is told, and the audit log says, what went back in the currency it went back in.
            struct Row: Decodable { let payload: String }
            let notices = try await h.database.read { sql in
                try await sql.raw("SELECT payload FROM outbox_messages WHERE kind = 'refund_notice'").all(decoding: Row.self)
            }
            #expect(notices.count == 1 && notices.first?.payload.contains("25.00 USD") == true, "\(notices.map(\.payload))")
            let audit = try await h.client.get("/api/v1/audit-log?action=order.refund_requested", key: h.organizerKey)
            let changes = try #require((audit.json["data"] as? [[String: Any]])?.first?["changes"] as? [String: Any])
            #expect((changes["currency"] as? [String: Any])?["to"] as? String == "USD")
        }
    }

    @Test(arguments: TestEngines.all)
    func aCompensationThatFailsIsAFailedRefundAnAdminSees(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try #require(try await h.placeOrder().orderID)
            h.provider.fail(with: .declined("the card is closed"))
            _ = try await h.deliver(id: "over", type: "paid", order: id, amount: 3_000)
            await h.drain()
            h.provider.fail(with: nil)
            let failed = try await h.client.get("/api/v1/admin/refunds?status=failed", key: h.adminKey)
            let rows = try #require(failed.json["data"] as? [[String: Any]], "\(failed.text)")
            #expect(rows.count == 1 && rows.first?["order_id"] as? String == id && rows.first?["amount"] as? Int == 3_000)
            #expect((rows.first?["error"] as? String)?.contains("the card is closed") == true)
            #expect(try await reviewBalance(h)["review:test EUR"] == 3_000, "the money waits in review for an admin")
        }
    }
}

/// A second, distinct payment for an order paid already (a buyer charged twice) used to be
/// recorded as processed and nothing else. It is refunded in full, against that payment.
@Suite struct StrayPaymentTests {
    @Test(arguments: TestEngines.all)
    func aSecondChargeIsRefundedInFullAgainstItsOwnPayment(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try #require(try await h.placeOrder().orderID)
            _ = try await h.deliver(id: "paid", type: "paid", order: id, amount: 2_500, reference: "pay-1")
            _ = try await h.deliver(id: "paid-again", type: "paid", order: id, amount: 2_500, reference: "pay-1")
            _ = try await h.deliver(id: "second-charge", type: "paid", order: id, amount: 2_500, reference: "pay-2")
            _ = try await h.deliver(id: "second-charge-again", type: "paid", order: id, amount: 2_500, reference: "pay-2")
            await h.drain()
            #expect(try await h.order(id).string("status") == "paid")
            #expect(h.provider.refunds.count == 1, "one refund, for the second charge only")
            let refund = try #require(h.provider.refunds.first)
            #expect(refund.paymentReference == "pay-2" && refund.amount == Money(minorUnits: 2_500, currency: .eur))
            #expect(try await UnkeepableMoneyTests().reviewBalance(h)["review:test EUR"] == 2_500, "the second charge waits in review")

            _ = try await h.deliver(id: "second-back", type: "payment_refunded", order: id, amount: 2_500, reference: "pay-2")
            await h.drain()
            #expect(try await h.inboxCount(status: "dead") == 0)
            #expect(try await UnkeepableMoneyTests().reviewBalance(h)["review:test EUR"] == 0)
            let order = try await h.order(id)
            #expect(order.string("status") == "paid" && order.json["refunded"] as? Int == 0, "the order's own payment is untouched")
            let succeeded = try await h.client.get("/api/v1/admin/refunds?status=succeeded", key: h.adminKey)
            #expect((succeeded.json["data"] as? [[String: Any]])?.count == 1)

            // The order's own refunds are unaffected: all of its 2500 may still go back.
            let own = try await h.client.post("/api/v1/orders/\(id)/refunds", key: h.organizerKey, json: #"{"amount":2500}"#)
            #expect(own.status == .accepted, "\(own.text)")
            #expect(h.provider.refunds.last?.paymentReference == "pay-1")
        }
    }

    @Test(arguments: TestEngines.all)
    func aSecondChargeWhoseRefundFailsIsAFailedRefundAnAdminSees(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try #require(try await h.placeOrder().orderID)
            _ = try await h.deliver(id: "paid", type: "paid", order: id, amount: 2_500, reference: "pay-1")
            await h.drain()
            h.provider.fail(with: .declined("the charge is too old"))
            _ = try await h.deliver(id: "second-charge", type: "paid", order: id, amount: 2_500, reference: "pay-2")
            await h.drain()
            h.provider.fail(with: nil)
            let failed = try await h.client.get("/api/v1/admin/refunds?status=failed", key: h.adminKey)
            let rows = try #require(failed.json["data"] as? [[String: Any]], "\(failed.text)")
            #expect(rows.count == 1 && rows.first?["amount"] as? Int == 2_500 && rows.first?["order_id"] as? String == id)
            #expect(try await UnkeepableMoneyTests().reviewBalance(h)["review:test EUR"] == 2_500, "an admin must clear it")
            #expect(try await h.order(id).string("status") == "paid")
        }
    }
}
