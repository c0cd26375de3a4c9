import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing

/// The buyer's credit pages: the pack shop and its purchase page, and credit offered on an event's page.
@Suite struct CreditPagesTests {
    @Test(arguments: TestEngines.all)
    func aPackBoughtOnItsPageReachesTheWalletAndPaysOnTheEventPage(engine: DatabaseEngine) async throws {
        try await WalletFixture.run(engine) { h in
            let pack = try await h.creditPack(price: 4_000, credit: 5_000, expiresDays: 90)
            var browser = PageBrowser(client: h.client)
            let shop = try await browser.get("/credit")
            #expect(shop.status == .ok)
            #expect(shop.text.contains("<strong>50.00 EUR</strong> of credit for 40.00 EUR (10.00 EUR extra). It expires 90 days after your payment"))
            #expect(shop.text.contains(#"value="test" checked"#) && !shop.text.contains(#"value="credits""#), "credit does not buy credit")
            let csrf = try #require(shop.formValue("csrf")), key = try #require(shop.formValue("idempotency_key"))
            let form = ["csrf": csrf, "idempotency_key": key, "email": "ada@example.com", "provider": "test"]
            let bought = try await browser.post("/credit/packs/\(pack)", form: form)
            #expect(bought.status == .seeOther, "\(bought.text)")
            let again = try await browser.post("/credit/packs/\(pack)", form: form)
            #expect(again.headers[.location] == bought.headers[.location], "a second click is the same purchase")
            let checkout = try #require(h.provider.checkouts.last)
            #expect(h.provider.checkouts.count == 1 && checkout.total == Money(minorUnits: 4_000, currency: .eur))
            let back = try #require(URLComponents(string: checkout.successURL))
            #expect(back.path == "/credit/orders/\(checkout.orderID)")

            let waiting = try await browser.get(back.path + "?" + (back.percentEncodedQuery ?? ""))
            #expect(waiting.status == .ok && waiting.text.contains("Waiting for payment confirmation") && waiting.text.contains(#"data-status="pending""#))
            _ = try await h.deliver(id: "paid-page", type: "paid", order: checkout.orderID.rawValue, amount: 4_000, reference: "pay-page")
            await h.drain()
            let paid = try await browser.get(back.path + "?" + (back.percentEncodedQuery ?? ""))
            #expect(paid.text.contains("50.00 EUR of credit is in the wallet of ada@example.com"))
            #expect(try await browser.get(back.path + "?token=nope").status == .notFound)
            let expiredForm = try await browser.post("/credit/packs/\(pack)", form: ["email": "ada@example.com", "provider": "test"])
            #expect(expiredForm.status == .forbidden && h.provider.checkouts.count == 1)

            // Signed in, the event page offers the credit, which pays two tickets at once.
            browser.cookies["my_tickets_session"] = try await h.buyerSession("ada@example.com")
            let event = try await browser.get("/e/\(h.eventID)")
            #expect(event.text.contains("Use my credit first (50.00 EUR available)") && !event.text.contains(#"value="credits""#))
            let order = try await browser.post("/e/\(h.eventID)/orders", form: [
                "csrf": try #require(event.formValue("csrf")), "idempotency_key": try #require(event.formValue("idempotency_key")),
                "quantity.\(h.variantID)": "2", "email": "ada@example.com", "use_credit": "all",
            ])
            #expect(order.status == .seeOther)
            #expect(order.headers[.location]?.hasPrefix("/my-tickets/orders/") == true, "paid at once: straight to the order's page")
            #expect(try await WalletFixture.balance(h, try #require(browser.cookies["my_tickets_session"])) == (0, 0, 0))

            // Without a session the credit is not offered, and the form cannot spend it.
            browser.cookies["my_tickets_session"] = nil
            #expect(!(try await browser.get("/e/\(h.eventID)").text.contains("Use my credit")))
        }
    }
}
