import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing
@testable import Ticketing

/// The buyer's "My tickets" pages: the emailed link, the click that spends it, the session
/// cookie, and the tickets with their QR codes.
@Suite struct MyTicketsTests {
    @Test(arguments: TestEngines.all)
    func aBuyerSignsInByEmailAndSeesEveryTicketOfTheirAddress(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let first = try await h.paidOrder(quantity: 2, email: "ada@example.com")
            let second = try await h.paidOrder(quantity: 1, email: "ADA@example.com")
            let stranger = try await h.paidOrder(quantity: 1, email: "bob@example.com")
            let renamed = try await h.client.patch("/api/v1/events/\(h.base.eventID)", key: h.organizerKey, json: #"{"title":"<b>Gala</b> & co"}"#)
            #expect(renamed.status == .ok, "\(renamed.text)")
            var browser = PageBrowser(client: h.client)

            #expect(try await browser.get("/my-tickets").headers[.location] == "/my-tickets/sign-in", "signed out, the page asks to sign in")
            let signInPage = try await browser.get("/my-tickets/sign-in")
            #expect(signInPage.status == .ok && signInPage.headers[.contentType] == "text/html; charset=utf-8")
            #expect(signInPage.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            let csrf = try #require(browser.cookies["csrf"])
            #expect(signInPage.text.contains(#"name="csrf" value="\#(csrf)""#))

            let sent = try await browser.post("/my-tickets/sign-in/link", form: ["csrf": csrf, "email": "ada@example.com"])
            #expect(sent.status == .ok && sent.text.contains("Check your email"))
            let link = try #require(try await MyTicketsFixture.latestLink(h))
            let path = try #require(URLComponents(string: link)).path + "?" + (URLComponents(string: link)?.query ?? "")

            // A mail scanner fetching the link, twice, spends nothing.
            for _ in 0..<2 {
                var scanner = PageBrowser(client: h.client)
                let landing = try await scanner.get(path)
                #expect(landing.status == .ok && landing.text.contains("Show my tickets"))
            }
            let token = try #require(URLComponents(string: link)?.queryItems?.first { $0.name == "token" }?.value)
            #expect(try await MyTicketsFixture.unusedLinks(h) == 1)

            var forger = PageBrowser(client: h.client)
            let forged = try await forger.post("/my-tickets/sign-in", form: ["csrf": "x", "token": token])
            #expect(forged.status == .forbidden, "a post without the CSRF cookie is refused")
            #expect(try await MyTicketsFixture.unusedLinks(h) == 1)

            _ = try await browser.get(path)
            let signedIn = try await browser.post("/my-tickets/sign-in", form: ["csrf": csrf, "token": token])
            #expect(signedIn.status == .seeOther && signedIn.headers[.location] == "/my-tickets")
            let setCookie = try #require(signedIn.headers[values: .setCookie].first { $0.hasPrefix("my_tickets_session=") })
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax") && setCookie.contains("Max-Age=86400"))
            #expect(try await MyTicketsFixture.unusedLinks(h) == 0)

            let page = try await browser.get("/my-tickets")
            #expect(page.status == .ok, "\(page.text)")
            for id in first.ticketIDs + second.ticketIDs { #expect(page.text.contains(#"src="/api/v1/public/tickets/\#(id)/qr.png""#)) }
            #expect(!page.text.contains(stranger.ticketIDs[0]))
            #expect(page.text.contains("&lt;b&gt;Gala&lt;/b&gt; &amp; co") && !page.text.contains("<b>Gala"))

            // The page's images load with the session cookie and are the tickets' own QR codes.
            let image = try await browser.get("/api/v1/public/tickets/\(first.ticketIDs[0])/qr.png")
            #expect(image.status == .ok && image.headers[.contentType] == "image/png")
            if let decoded = try await QRDecoder.decode([Array(image.body)]) { #expect(decoded == [[first.tokens[0]]]) }
            #expect(try await browser.get("/api/v1/public/tickets/\(stranger.ticketIDs[0])/qr.png").status == .notFound)

            let signedOut = try await browser.post("/my-tickets/sign-out", form: ["csrf": csrf])
            #expect(signedOut.status == .seeOther && signedOut.headers[.location] == "/my-tickets/sign-in")
            #expect(try await browser.get("/my-tickets").status == .seeOther)
            #expect(try await MyTicketsFixture.count(h, "buyer_sessions") == 0)
        }
    }

    @Test(arguments: TestEngines.all)
    func theAPIListsTheSessionsTicketsWithoutPuttingTheSessionInURLs(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let order = try await h.paidOrder(quantity: 2, email: "ada@example.com")
            _ = try await h.paidOrder(quantity: 1, email: "bob@example.com")
            #expect(try await h.client.get("/api/v1/public/my-tickets").status == .unauthorized)
            _ = try await h.client.post("/api/v1/public/my-tickets/links", key: nil, json: #"{"email":"ada@example.com"}"#)
            let link = try #require(try await MyTicketsFixture.latestLink(h))
            let token = try #require(URLComponents(string: link)?.queryItems?.first { $0.name == "token" }?.value)
            let session = try #require(try await h.client.post("/api/v1/public/my-tickets/sessions", key: nil, json: #"{"token":"\#(token)"}"#)
                .string("token"))

            let mine = try await h.client.get("/api/v1/public/my-tickets", key: session)
            #expect(mine.status == .ok && mine.headers[.cacheControl] == "no-store")
            let orders = try #require(mine.json["orders"] as? [[String: Any]])
            #expect(orders.count == 1 && mine.string("email") == "ada@example.com")
            let tickets = try #require(orders.first?["tickets"] as? [[String: Any]])
            #expect(tickets.compactMap { $0["id"] as? String } == order.ticketIDs)
            #expect(tickets.compactMap { $0["token"] as? String } == order.tokens)
            #expect((orders.first?["event"] as? [String: Any])?["title"] as? String == "Harness Night")
            #expect(!mine.text.contains(session), "the session token never goes into a URL")

            let listed = try await h.client.get("/api/v1/public/orders/\(order.id)/tickets", key: session)
            #expect(listed.status == .ok && !listed.text.contains(session))
        }
    }

    @Test(arguments: TestEngines.all)
    func theConfirmationLinkOpensTheOrdersPage(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let order = try await h.paidOrder(quantity: 2)
            let engine = h.database.engine
            let message = try #require(try await h.database.read { sql in
                try await OutboxRepository(sql, engine: engine).list(statuses: [.queued], after: nil, limit: 10).first { $0.kind == .orderConfirmation }
            })
            let model = try JSONSerialization.jsonObject(with: Data(message.content.model.utf8)) as? [String: Any]
            let address = try #require((model?["order"] as? [String: Any])?["url"] as? String)
            let url = try #require(URLComponents(string: address))
            #expect(url.path == "/my-tickets/orders/\(order.id)")
            let page = try await h.client.get(url.path + "?" + (url.query ?? ""))
            #expect(page.status == .ok && page.headers[.contentType] == "text/html; charset=utf-8", "\(page.text)")
            for id in order.ticketIDs { #expect(page.text.contains("/api/v1/public/tickets/\(id)/qr.png?token=")) }
            #expect(try await h.client.get("/my-tickets/orders/\(order.id)?token=ord_tok_wrong").status == .notFound)
            #expect(try await h.client.get("/my-tickets/orders/\(order.id)").status == .notFound)
        }
    }
}

enum MyTicketsFixture {
    static func latestLink(_ h: TicketingHarness) async throws -> String? {
        let engine = h.database.engine
        let message = try await h.database.read { sql in
            try await OutboxRepository(sql, engine: engine).list(statuses: OutboxStatus.allCases, after: nil, limit: 1000).last { $0.kind == .magicLink }
        }
        guard let message else { return nil }
        let model = try JSONSerialization.jsonObject(with: Data(message.content.model.utf8)) as? [String: Any]
        return model?["link"] as? String
    }

    static func unusedLinks(_ h: TicketingHarness) async throws -> Int {
        try await count(h, "magic_links", where: "used_at IS NULL")
    }

    static func count(_ h: TicketingHarness, _ table: String, where condition: String = "1 = 1") async throws -> Int {
        try await h.count(table, where: condition)
    }
}

/// The order's page while it waits for payment, once paid, and its calendar file.
@Suite struct OrderPageTests {
    @Test(arguments: TestEngines.all)
    func theOrderPageWaitsForThePaymentThenShowsTheTicketsAndTheCalendar(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let placed = try await h.base.placeOrder(body: h.base.cart(quantity: 2))
            let id = try #require(placed.orderID)
            let token = try #require(placed.string("access_token"))
            let waiting = try await h.client.get("/my-tickets/orders/\(id)?token=\(token)")
            #expect(waiting.status == .ok && waiting.text.contains("Waiting for payment confirmation."))
            #expect(!waiting.text.contains("Paid.") && !waiting.text.contains("qr.png"), "nothing says paid before the order is")
            #expect(waiting.text.contains(#"data-poll="/api/v1/public/orders/\#(id)?token=\#(token)""#) && waiting.text.contains("/static/order.js"))
            #expect(waiting.text.contains("Continue to payment"), "the way back to the provider's checkout")

            _ = try await h.base.deliver(id: "evt-\(id)", type: "paid", order: id, amount: 5_000, reference: "pay-\(id)")
            await h.base.drain()
            let paid = try await h.client.get("/my-tickets/orders/\(id)?token=\(token)")
            #expect(paid.text.contains("Paid.") && !paid.text.contains("Waiting for payment") && !paid.text.contains("order.js"))
            #expect(paid.text.components(separatedBy: "download=\"ticket-").count == 3, "a PNG download per ticket")
            #expect(paid.text.contains("/my-tickets/orders/\(id)/event.ics?token=\(token)"))

            let ics = try await h.client.get("/my-tickets/orders/\(id)/event.ics?token=\(token)")
            #expect(ics.status == .ok && ics.headers[.contentType] == "text/calendar; charset=utf-8")
            #expect(ics.text.hasPrefix("BEGIN:VCALENDAR\r\n") && ics.text.contains("SUMMARY:Harness Night\r\n"))
            #expect(try await h.client.get("/my-tickets/orders/\(id)/event.ics?token=ord_tok_wrong").status == .notFound)

            let other = try await h.base.placeOrder(body: h.base.cart(quantity: 1))
            let otherID = try #require(other.orderID), otherToken = try #require(other.string("access_token"))
            _ = try await h.base.deliver(id: "evt-fail-\(otherID)", type: "failed", order: otherID)
            await h.base.drain()
            let failed = try await h.client.get("/my-tickets/orders/\(otherID)?token=\(otherToken)")
            #expect(failed.text.contains("The payment did not go through.") && failed.text.contains("href=\"/e/\(h.base.eventID)\""))
        }
    }
}

/// The wallet's section of My tickets.
@Suite struct MyTicketsCreditTests {
    @Test(arguments: TestEngines.all)
    func myTicketsShowsTheCreditAndItsMovementsButNoPackOrder(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            _ = try await h.paidOrder(email: "ada@example.com")
            let created = try await h.client.post("/api/v1/admin/credit-packs", key: h.base.adminKey,
                                                  json: #"{"name":"Fifty","price":5000,"currency":"EUR","credit":5000}"#)
            let pack = try #require(created.string("id"))
            let placed = try await h.client.send(.post, "/api/v1/public/credit-packs/\(pack)/orders", json: #"{"email":"ada@example.com","provider":"test"}"#,
                                                 headers: [HTTPField.Name("Idempotency-Key")!: "pack"])
            let order = try #require(placed.orderID)
            _ = try await h.base.deliver(id: "pack-paid", type: "paid", order: order, amount: 5_000, reference: "pay-pack")
            await h.base.drain()
            h.clock.advance(minutes: 1)
            // Refunded in part after nothing was spent: its credit leaves in proportion.
            #expect(try await h.client.post("/api/v1/admin/orders/\(order)/refunds", key: h.base.adminKey, json: #"{"amount":2000}"#).status == .accepted)

            let token = try await h.base.buyerSession("ada@example.com")
            var browser = PageBrowser(client: h.client)
            browser.cookies["my_tickets_session"] = token
            let page = try await browser.get("/my-tickets")
            #expect(page.status == .ok)
            #expect(page.text.contains("<strong>30.00 EUR</strong> to spend"))
            #expect(page.text.contains("Credit pack refunded") && page.text.contains("-20.00 EUR"))
            #expect(page.text.contains("Credit pack bought") && page.text.contains("+50.00 EUR"))
            #expect(!page.text.contains("Credit packs"), "the pack purchase is not listed as a ticket order")
            #expect(page.text.contains("Harness Night"), "the ticket order is")
        }
    }
}
