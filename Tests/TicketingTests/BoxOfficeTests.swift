import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing
@testable import Ticketing

/// Selling at the door: an order paid at once and admitted, whose money stayed with the organizer,
/// so the platform's fee is what the organizer owes, taken from its next payout.
@Suite struct BoxOfficeTests {
    @Test(arguments: TestEngines.all)
    func aDoorMemberSellsTwoTicketsForCashAdmitsThemAndTheFeeIsTakenFromTheNextPayout(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            var door = try await DoorPagesTests.member(h, role: .door, email: "door@harness.example")
            let doorPage = try await door.get("/door")
            #expect(doorPage.text.contains("/door/box-office/\(h.base.eventID)"))
            let page = try await door.get("/door/box-office/\(h.base.eventID)")
            #expect(page.status == .ok && page.text.contains("Box office"))
            let form = ["csrf": try #require(page.formValue("csrf")), "idempotency_key": try #require(page.formValue("idempotency_key")),
                        "quantity.\(h.base.variantID)": "2", "payment": "cash", "email": "", "name": "Walk-in", "admit": "1"]
            let sold = try await door.post("/door/box-office/\(h.base.eventID)", form: form)
            #expect(sold.status == .ok && sold.text.contains("Sold 2 ticket(s) for 50.00 EUR, paid by cash.") && sold.text.contains("Admitted: 2."),
                    "\(sold.text.suffix(800))")
            #expect(sold.text.components(separatedBy: "src=\"data:image/png;base64,").count == 3, "both tickets' codes, to show or print")
            let again = try await door.post("/door/box-office/\(h.base.eventID)", form: form)
            #expect(again.status == .ok, "a reload of the same sale")
            let orders = try await h.database.read { sql in
                try await OrderRepository(sql).list(email: "door@harness.example", statuses: OrderStatus.allCases, limit: 10)
            }
            #expect(orders.count == 1 && orders.first?.provider == "box_office" && orders.first?.status == .paid, "one order, paid at the door")
            let stats = try await h.client.get("/api/v1/events/\(h.base.eventID)/stats", key: h.organizerKey)
            #expect(stats.json["admitted"] as? Int == 2)
            let balances = try await h.base.accountBalances()
            let organizer = try await h.base.organizerID()
            #expect(balances["organizer_receivable:\(organizer) EUR"] == 250 && balances["fee_revenue EUR"] == 250, "the fee is owed: \(balances)")
            #expect(balances.keys.allSatisfy { !$0.hasPrefix("clearing:box_office") }, "no money went through the platform")

            let dashboard = try await Dashboard.load(organizer: organizer, catalog: h.base.platform.catalog)
            let figures = try #require(dashboard.events.first)
            #expect(figures.gross.map(\.minorUnits) == [5_000] && figures.fee.map(\.minorUnits) == [250] && figures.net.map(\.minorUnits) == [4_750],
                    "the dashboard counts what was sold at the door")
            let order = try #require(orders.first?.id)
            let refund = try await h.client.post("/api/v1/orders/\(order)/refunds", key: h.organizerKey, json: "{}")
            #expect(refund.status == .conflict && refund.text.contains("refunded at the box office"))

            // A card sale online: its payout is what it made less the fee owed from the box office.
            _ = try await h.paidOrder(quantity: 2)
            #expect(try await h.base.setPayoutMethod("test_acct_harness").status == .ok)
            try await h.base.releaseAll()
            #expect(try await h.base.payoutRun().status == .created)
            #expect(try await h.base.payouts().map(\.amount.minorUnits) == [4_750 - 250], "47.50 less the 2.50 owed")

            // At a fee of 0 a box office sale books nothing, and the ledger's invariants (checked at the end) still hold.
            _ = try await h.base.platform.catalog.updateOrganizer(organizer, senderName: nil, replyTo: nil, payoutHold: nil, feeBasisPoints: .some(0))
            var seller = try await DoorPagesTests.member(h, role: .door, email: "door2@harness.example")  // 400 days on: a new session
            let fresh = try await seller.get("/door/box-office/\(h.base.eventID)")
            var free = form
            let (csrf, key) = (try #require(fresh.formValue("csrf")), try #require(fresh.formValue("idempotency_key")))
            free["csrf"] = csrf
            free["idempotency_key"] = key
            free["quantity.\(h.base.variantID)"] = "1"
            #expect(try await seller.post("/door/box-office/\(h.base.eventID)", form: free).text.contains("Sold 1 ticket(s) for 25.00 EUR"))

            var manager = try await DoorPagesTests.member(h, role: .manager, email: "manager@harness.example")
            #expect(try await manager.get("/door/box-office/\(h.base.eventID)").status == .forbidden, "managers do not sell at the door")
        }
    }
}
