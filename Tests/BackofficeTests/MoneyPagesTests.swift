import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing

/// The owner's money page: balances from the ledger, payouts with their remittance advice, the CSV.
@Suite struct MoneyPagesTests {
    @Test(arguments: TestEngines.all)
    func theOwnerSeesBalancesPayoutsWithTheirAdviceAndTheStatement(engine: DatabaseEngine) async throws {
        try await BackofficeHarness.run(engine) { h in
            let order = try await h.paidOrder(quantity: 2)
            var owner = try await h.signedIn()
            let pending = try await owner.get("/backoffice/money")
            #expect(pending.status == .ok && pending.text.contains("<tr><td>EUR</td><td>47.50 EUR</td><td>0.00 EUR</td>"), "net in its hold")
            #expect(pending.text.contains("No payouts yet."))

            let method = try await h.base.setPayoutMethod("test_acct_harness")
            #expect(method.status == .ok, "\(method.text)")
            try await h.base.releaseAll()
            #expect(try await h.base.payoutRun().status == .created)
            let payout = try #require(try await h.base.payouts().first)
            owner = try await h.signedIn()  // the holds ended 400 days later: so did the session
            let paid = try await owner.get("/backoffice/money")
            #expect(paid.text.contains("<td>EUR</td><td>0.00 EUR</td><td>0.00 EUR</td><td>47.50 EUR</td>"), "in transit")
            #expect(paid.text.contains("/backoffice/money/payouts/\(payout.id)"))
            let advice = try await owner.get("/backoffice/money/payouts/\(payout.id)")
            #expect(advice.status == .ok && advice.text.contains("<strong>47.50 EUR</strong>") && advice.text.contains("<td>release<br>") && advice.text.contains(order))

            let csv = try await owner.get("/backoffice/money/statement.csv")
            #expect(csv.status == .ok && csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(csv.text.hasPrefix("entry_id,type,booked_at,currency,gross,fee,net") && csv.text.contains("payment:\(order),payment,"))

            _ = try await h.members.create(email: "manager@harness.example", password: "manager password", role: .manager, organizer: h.organizer)
            var manager = try await h.signedIn("manager@harness.example", password: "manager password")
            #expect(try await manager.get("/backoffice/money").status == .forbidden, "money is the owner's")
            #expect(try await manager.get("/backoffice/money/statement.csv").status == .forbidden)
            #expect(try await owner.get("/backoffice/money/payouts/po_01nothing00000000000000000").status == .notFound)
        }
    }
}
