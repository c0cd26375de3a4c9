import Foundation
import Platform
import PlatformTesting
@testable import Sandbox
import Testing

/// A second charge through the Sandbox goes back through the Sandbox, whose refund event names the
/// payment it refunds: the order's own payment, its tickets and its ledger are untouched.
@Suite struct SandboxStrayPaymentTests {
    @Test(arguments: TestEngines.all)
    func aSecondChargeIsRefundedAndTheOrderKeepsItsOwn(engine: DatabaseEngine) async throws {
        let sandbox = SandboxProvider(secret: "sandbox-test-secret", baseURL: "http://127.0.0.1:8080")
        try await CheckoutHarness.run(engine, extraProviders: [sandbox]) { h in
            let id = try #require(try await h.placeOrder(body: h.cart(quantity: 2, provider: "sandbox")).orderID)
            for payment in ["sbx_pay_first", "sbx_pay_second"] {
                try await sandbox.deliver(SandboxEvent(id: "sbx_evt_\(payment)", type: "payment.succeeded", data: .init(
                    orderID: id, amount: 5_000, currency: "EUR", paymentID: payment)))
            }
            await h.drain()
            await h.drain()
            let order = try await h.order(id)
            #expect(order.string("status") == "paid" && order.json["refunded"] as? Int == 0)
            let refunds = try await h.client.get("/api/v1/admin/refunds?status=all", key: h.adminKey)
            let rows = try #require(refunds.json["data"] as? [[String: Any]], "\(refunds.text)")
            #expect(rows.count == 1 && rows.first?["status"] as? String == "succeeded")
            #expect(rows.first?["payment_reference"] as? String == "sbx_pay_second")
            #expect(try await h.variantCounts() == (2, 0), "the order keeps its seats")
            #expect(try await h.accountBalances()["review:sandbox EUR"] == 0, "the second charge left review")
        }
    }
}
