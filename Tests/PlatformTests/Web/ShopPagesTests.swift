import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing

/// The event page and the order its form places: the same checkout as the API, one order per form
/// whatever arrives twice, and the API's messages beside the fields with what was typed kept.
@Suite struct ShopPagesTests {
    /// Opens the event page and returns what its form needs.
    static func openForm(_ browser: inout PageBrowser, _ h: CheckoutHarness, path: String? = nil) async throws -> (csrf: String, key: String, page: String) {
        let page = try await browser.get(path ?? "/e/\(h.eventID)")
        #expect(page.status == .ok, "\(page.text)")
        return (try #require(page.formValue("csrf")), try #require(page.formValue("idempotency_key")), page.text)
    }

    static func orders(_ h: CheckoutHarness, email: String = "ada@example.com") async throws -> [Order] {
        try await h.database.read { sql in try await OrderRepository(sql).list(email: email, statuses: OrderStatus.allCases, limit: 50) }
    }

    @Test(arguments: TestEngines.all)
    func theEventPageShowsWhatIsOnSaleAndItsFormPlacesOneOrder(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine, maxPerOrder: 4) { h in
            var browser = PageBrowser(client: h.client)
            let (csrf, key, page) = try await Self.openForm(&browser, h)
            #expect(page.contains("<h1>Harness Night</h1>") && page.contains(#"<span class="name">GA</span> · <span class="price">25.00 EUR</span>"#))
            #expect(page.contains("(UTC+01:00, Europe/Berlin)") || page.contains("(UTC+02:00, Europe/Berlin)"), "local time with its offset")
            #expect(page.contains("100 available") && page.contains("at most 4 per order"))
            #expect(page.contains(#"<option value="4">"#) && !page.contains(#"<option value="5">"#), "the picker stops at max_per_order")
            #expect(page.contains(#"value="test" checked"#), "the one enabled provider is offered")
            #expect(try await browser.get("/e/harness/\(h.eventID)").status == .ok, "the readable address")
            #expect(try await browser.get("/e/someone-else/\(h.eventID)").status == .notFound, "another organizer's slug")
            let missing = try await browser.get("/e/evt_nothing")
            #expect(missing.status == .notFound && missing.text.contains("not on sale"))

            let form = ["csrf": csrf, "idempotency_key": key, "quantity.\(h.variantID)": "2", "email": "ada@example.com",
                        "name": "Ada", "provider": "test"]
            let first = try await browser.post("/e/\(h.eventID)/orders", form: form)
            #expect(first.status == .seeOther, "\(first.text)")
            let checkout = try #require(first.headers[.location])
            let again = try await browser.post("/e/\(h.eventID)/orders", form: form)
            #expect(again.status == .seeOther && again.headers[.location] == checkout, "a reload goes to the same checkout")
            #expect(h.provider.checkouts.count == 1, "the provider was asked once")
            #expect(try await Self.orders(h).count == 1)
            let order = try #require(try await Self.orders(h).first)
            #expect(order.lines.map(\.quantity) == [2] && order.buyerName == "Ada" && order.provider == "test")

            var changed = form
            changed["quantity.\(h.variantID)"] = "3"
            #expect(try await browser.post("/e/\(h.eventID)/orders", form: changed).status == .seeOther)
            #expect(try await Self.orders(h).count == 2, "a changed form is another order")
        }
    }

    @Test(arguments: TestEngines.all)
    func aFormWithAMistakeSaysWhatAndKeepsWhatWasTyped(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine, quota: 3) { h in
            var browser = PageBrowser(client: h.client)
            let (csrf, key, _) = try await Self.openForm(&browser, h)
            var form = ["csrf": csrf, "idempotency_key": key, "quantity.\(h.variantID)": "2", "email": "nope", "name": "Ada <b>", "provider": "test"]

            let invalid = try await browser.post("/e/\(h.eventID)/orders", form: form)
            #expect(invalid.status == .unprocessableContent)
            #expect(invalid.text.contains("Email must be an email address.") && invalid.text.contains(#"value="nope""#))
            #expect(invalid.text.contains(#"<option value="2" selected>"#) && invalid.text.contains(#"value="Ada &lt;b&gt;""#))
            #expect(invalid.formValue("idempotency_key") != key, "the corrected form is a new request")

            form["email"] = "ada@example.com"
            var forged = form
            forged["csrf"] = "x"
            #expect(try await browser.post("/e/\(h.eventID)/orders", form: forged).status == .forbidden, "no CSRF value, no order")
            var stranger = PageBrowser(client: h.client)
            #expect(try await stranger.post("/e/\(h.eventID)/orders", form: form).status == .forbidden,
                    "a post from another site carries no CSRF cookie")

            form["quantity.\(h.variantID)"] = "4"
            let soldOut = try await browser.post("/e/\(h.eventID)/orders", form: form)
            #expect(soldOut.status == .conflict && soldOut.text.contains("Sold out.") && soldOut.text.contains("Not enough GA tickets left for 4."))

            h.provider.fail(with: .unavailable("the test provider is down"))
            form["quantity.\(h.variantID)"] = "2"
            let down = try await browser.post("/e/\(h.eventID)/orders", form: form)
            #expect(down.status == .serviceUnavailable && down.text.contains("The payment provider is not available right now."))
            #expect(down.text.contains(#"value="ada@example.com""#))
            let variants = try await h.client.get("/api/v1/public/events/\(h.eventID)").json["variants"] as? [[String: Any]]
            #expect(variants?.first?["available"] as? Int == 3, "the seats went back at once")
            h.provider.fail(with: nil)

            let noLines = try await browser.post("/e/\(h.eventID)/orders", form: form.merging(["quantity.\(h.variantID)": "0"]) { $1 })
            #expect(noLines.status == .unprocessableContent && noLines.text.contains("Choose at least one ticket."))

            let closed = try await h.client.patch("/api/v1/variants/\(h.variantID)", key: h.organizerKey,
                                                  json: #"{"sales_end":"\#(h.clock.now().adding(minutes: -1).rfc3339)"}"#)
            #expect(closed.status == .ok, "\(closed.text)")
            let closedPage = try await browser.get("/e/\(h.eventID)")
            #expect(closedPage.text.contains("Sales have ended") && !closedPage.text.contains("<select"))
            let late = try await browser.post("/e/\(h.eventID)/orders", form: form)
            #expect(late.status == .unprocessableContent && late.text.contains("GA is not on sale now."))
            #expect(try await Self.orders(h).allSatisfy { $0.status == .failed }, "nothing but the failed checkout was written")
        }
    }

    @Test(arguments: TestEngines.all)
    func aDraftEventHasNoPage(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let draft = try await h.client.post("/api/v1/events", key: h.organizerKey, json: #"""
                {"title":"Soon","starts_at":"\#(h.clock.now().adding(minutes: 6000).rfc3339)","timezone":"UTC","currency":"EUR"}
                """#)
            let id = try #require(draft.string("id"))
            let page = try await h.client.get("/e/\(id)")
            #expect(page.status == .notFound && page.headers[.contentType] == "text/html; charset=utf-8")
        }
    }

    @Test(arguments: TestEngines.all)
    func anEventWithASlugHasAReadableAddress(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let start = h.clock.now().adding(minutes: 6000).rfc3339
            let made = try await h.client.post("/api/v1/events", key: h.organizerKey, json: #"""
                {"title":"Summer Gala","slug":"summer-gala","starts_at":"\#(start)","timezone":"UTC","currency":"EUR","status":"live"}
                """#)
            #expect(made.status == .created && made.string("slug") == "summer-gala", "\(made.text)")
            let id = try #require(made.string("id"))
            let taken = try await h.client.post("/api/v1/events", key: h.organizerKey, json: #"""
                {"title":"Other","slug":"summer-gala","starts_at":"\#(start)","timezone":"UTC","currency":"EUR"}
                """#)
            #expect(taken.status == .unprocessableContent && taken.text.contains("is already the slug of another of your events"))
            let bad = try await h.client.patch("/api/v1/events/\(id)", key: h.organizerKey, json: #"{"slug":"Summer Gala"}"#)
            #expect(bad.status == .unprocessableContent && bad.text.contains("lowercase letters, digits or hyphens"))

            let page = try await h.client.get("/e/harness/summer-gala")
            #expect(page.status == .ok && page.text.contains("<h1>Summer Gala</h1>"))
            #expect(try await h.client.get("/e/harness/\(id)").status == .ok, "the id works beside the slug")
            #expect(try await h.client.get("/e/harness/winter-gala").status == .notFound)
            #expect(try await h.client.get("/e/someone-else/summer-gala").status == .notFound)

            let renamed = try await h.client.patch("/api/v1/events/\(id)", key: h.organizerKey, json: #"{"slug":null}"#)
            #expect(renamed.status == .ok && renamed.string("slug") == nil)
            #expect(try await h.client.get("/e/harness/summer-gala").status == .notFound, "a removed slug leads nowhere")
        }
    }
}
