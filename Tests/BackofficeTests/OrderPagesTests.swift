import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing

/// The organizer's orders: search and filters, an order's page with its money, and refunds by
/// amount or by ticket whose outcome the page shows once the provider answers.
@Suite struct OrderPagesTests {
    @Test(arguments: TestEngines.all)
    func anOwnerFindsOrdersByEmailNameIdStatusAndDate(engine: DatabaseEngine) async throws {
        try await BackofficeHarness.run(engine) { h in
            let ada = try await h.paidOrder(quantity: 1, email: "ada@example.com", name: "Ada Lovelace")
            let bob = try await h.paidOrder(quantity: 2, email: "bob@example.com", name: "Bob 100%_Sure")
            var owner = try await h.signedIn()
            let all = try await owner.get("/backoffice/orders")
            #expect(all.status == .ok && all.text.contains(ada) && all.text.contains(bob))
            let byName = try await owner.get("/backoffice/orders?q=LOVELACE")
            #expect(byName.text.contains(ada) && !byName.text.contains(bob))
            let byEmail = try await owner.get("/backoffice/orders?q=bob%40")
            #expect(byEmail.text.contains(bob) && !byEmail.text.contains(ada))
            let byID = try await owner.get("/backoffice/orders?q=\(bob)")
            #expect(byID.text.contains(bob) && !byID.text.contains(ada))
            let literal = try await owner.get("/backoffice/orders?q=100%25_s")
            #expect(literal.text.contains(bob) && !literal.text.contains(ada), "% and _ match themselves")
            #expect(try await owner.get("/backoffice/orders?q=a_a").text.contains("No orders match."), "_ is no wildcard")
            #expect(try await owner.get("/backoffice/orders?status=pending").text.contains("No orders match."))
            #expect(try await owner.get("/backoffice/orders?status=paid").text.contains(ada))
            #expect(try await owner.get("/backoffice/orders?from=2026-06-02").text.contains("No orders match."), "placed on 1 June")
            #expect(try await owner.get("/backoffice/orders?from=2026-06-01&to=2026-06-01").text.contains(ada))
        }
    }

    @Test(arguments: TestEngines.all)
    func aRefundOfOneTicketShowsItsOutcomeOnceTheProviderAnswers(engine: DatabaseEngine) async throws {
        try await BackofficeHarness.run(engine) { h in
            let id = try await h.paidOrder(quantity: 2)
            var owner = try await h.signedIn()
            let page = try await owner.get("/backoffice/orders/\(id)")
            #expect(page.status == .ok && page.text.contains("2 × GA at 25.00 EUR") && page.text.contains(#"<td class="ticket-status">valid</td>"#))
            #expect(page.text.contains("<td>payment</td>") && page.text.contains("<td>50.00 EUR</td><td>2.50 EUR</td><td>47.50 EUR</td>"),
                    "the ledger's entry of the payment")
            let csrf = try #require(page.formValue("csrf"))
            let tickets = try #require(page.text.components(separatedBy: #"name="ticket."#).dropFirst().first.map { String($0.prefix(30)) })
            let ticket = String(tickets.prefix { $0 != "\"" })

            let bad = try await owner.post("/backoffice/orders/\(id)/refunds", form: ["csrf": csrf, "mode": "amount", "amount": "ten"])
            #expect(bad.status == .unprocessableContent && bad.text.contains("Amount must be a positive amount in EUR"))
            let none = try await owner.post("/backoffice/orders/\(id)/refunds", form: ["csrf": csrf, "mode": "tickets"])
            #expect(none.status == .unprocessableContent && none.text.contains("Choose the tickets to refund."))
            let asked = try await owner.post("/backoffice/orders/\(id)/refunds", form: ["csrf": csrf, "mode": "tickets", "ticket.\(ticket)": "1",
                                                                                        "reason": "cannot come"])
            #expect(asked.status == .seeOther && asked.headers[.location] == "/backoffice/orders/\(id)?refund=asked", "post, then redirect")
            let waiting = try await owner.get(try #require(asked.headers[.location]))
            #expect(waiting.text.contains("Refund asked of the provider") && waiting.text.contains("waiting for the provider"))
            #expect(waiting.text.contains("/static/reload.js"), "the GET page reloads itself until the answer is in")
            #expect(h.base.provider.refunds.map(\.amount.minorUnits) == [2_500])

            let refund = try #require(h.base.provider.refunds.first)
            _ = try await h.base.deliver(id: "evt-refund-\(id)", type: "refunded", order: id, amount: 2_500, reference: "test_re_\(refund.refundID)")
            _ = await h.base.drain()
            let after = try await owner.get("/backoffice/orders/\(id)")
            #expect(after.text.contains(#"<td class="refund-status">succeeded"#) && !after.text.contains("/static/reload.js"))
            #expect(after.text.contains(#"<strong id="order-status">partially refunded</strong>"#))
            #expect(after.text.contains(#"<td class="ticket-status">refunded</td>"#) && after.text.contains("<td>refund</td>"))

            let more = try await owner.post("/backoffice/orders/\(id)/refunds", form: ["csrf": csrf, "mode": "amount", "amount": "30.00"])
            #expect(more.status == .unprocessableContent || more.status == .conflict, "no more than is left: \(more.status)")
            #expect(h.base.provider.refunds.count == 1)
        }
    }

    @Test(arguments: TestEngines.all)
    func doorStaffAndOtherOrganizersSeeNoOrders(engine: DatabaseEngine) async throws {
        try await BackofficeHarness.run(engine) { h in
            let id = try await h.paidOrder(quantity: 1)
            _ = try await h.members.create(email: "door@harness.example", password: "door staff password", role: .door, organizer: h.organizer)
            var door = try await h.signedIn("door@harness.example", password: "door staff password", lands: "/door")
            #expect(try await door.get("/backoffice/orders").status == .forbidden)
            let csrf = try #require(try await door.get("/door").formValue("csrf"))
            #expect(try await door.post("/backoffice/orders/\(id)/refunds", form: ["csrf": csrf, "mode": "all"]).status == .forbidden,
                    "door staff cannot refund")
            let (other, _) = try await h.base.platform.catalog.createOrganizer(name: "Other", slug: "other", email: "o@other.example", feeBasisPoints: nil)
            _ = try await h.members.create(email: "owner@other.example", password: "other owner password", role: .owner, organizer: other.id)
            var stranger = try await h.signedIn("owner@other.example", password: "other owner password")
            #expect(try await stranger.get("/backoffice/orders/\(id)").status == .notFound, "another organizer's order is not found")
            let otherCSRF = try #require(try await stranger.get("/backoffice/orders").formValue("csrf") ?? stranger.cookies["csrf"])
            #expect(try await stranger.post("/backoffice/orders/\(id)/refunds", form: ["csrf": otherCSRF, "mode": "all"]).status == .notFound)
            #expect(h.base.provider.refunds.isEmpty, "nothing was refunded")
        }
    }
}
