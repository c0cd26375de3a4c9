import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing

/// "My tickets" sign-in through the API: who gets a link, how long and how often it works, and
/// what the session it opens can read.
@Suite struct BuyerSignInTests {
    @Test(arguments: TestEngines.all)
    func onlyAddressesWithOrdersGetALinkAndTheAnswerIsTheSame(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            _ = try await SignInFixture.paidOrder(h, email: "Buyer@Example.com")
            let known = try await SignInFixture.requestLink(h, "buyer@EXAMPLE.com")
            let unknown = try await SignInFixture.requestLink(h, "nobody@example.com")
            #expect(known.status == .accepted && unknown.status == .accepted)
            #expect(known.text == unknown.text, "the answer must not tell which addresses have orders")
            let links = try await SignInFixture.links(h)
            #expect(links.map(\.recipient) == ["buyer@EXAMPLE.com"])
            let message = try #require(links.first)
            #expect(message.organizerID == nil && message.idempotencyKey.hasPrefix("magic-link-"))

            let mail = try await MailComposer.load(directory: MailComposer.defaultDirectory()).compose(message)
            let link = try SignInFixture.link(in: message)
            #expect(link.hasPrefix("http://127.0.0.1:8080/my-tickets/sign-in?token=mtl_"))
            #expect(mail.text.contains(link) && mail.html.contains(link) && mail.text.contains("30 minutes"))
            #expect(mail.from.email == h.platform.config.mailFrom)

            let bad = try await h.client.post("/api/v1/public/my-tickets/links", key: nil, json: #"{"email":"not an address"}"#)
            #expect(bad.status == .unprocessableContent && bad.errorFields == ["email"])
            #expect(try await SignInFixture.links(h).count == 1, "a rejected request writes nothing")
        }
    }

    @Test(arguments: TestEngines.all)
    func oneAddressGetsThreeLinksPerQuarterHour(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            _ = try await SignInFixture.paidOrder(h, email: "buyer@example.com")
            for _ in 0..<5 { #expect(try await SignInFixture.requestLink(h, "buyer@example.com").status == .accepted) }
            #expect(try await SignInFixture.links(h).count == 3)
            h.clock.advance(minutes: 15)
            _ = try await SignInFixture.requestLink(h, "buyer@example.com")
            #expect(try await SignInFixture.links(h).count == 4)
        }
    }

    @Test func oneClientIsRateLimited() async throws {
        var config = PlatformConfig()
        config.checkoutRateLimit = 1_000_000
        config.signInRateLimit = 3
        try await CheckoutHarness.run(.sqlite, config: config) { h in
            for _ in 0..<3 { #expect(try await SignInFixture.requestLink(h, "a@example.com").status == .accepted) }
            let limited = try await SignInFixture.requestLink(h, "a@example.com")
            #expect(limited.status == .tooManyRequests && limited.headers[.retryAfter] != nil)
            let exchange = try await h.client.post("/api/v1/public/my-tickets/sessions", key: nil, json: #"{"token":"mtl_x"}"#)
            #expect(exchange.status == .tooManyRequests, "using links counts against the same limit")
        }
    }

    @Test(arguments: TestEngines.all)
    func aLinkWorksOnceAndOnlyForThirtyMinutes(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            _ = try await SignInFixture.paidOrder(h, email: "buyer@example.com")
            _ = try await SignInFixture.requestLink(h, "buyer@example.com")
            let first = try SignInFixture.token(in: try #require(try await SignInFixture.links(h).first))
            h.clock.advance(minutes: 29)
            let opened = try await SignInFixture.exchange(h, first)
            #expect(opened.status == .created, "\(opened.text)")
            #expect(opened.string("token")?.hasPrefix("mts_") == true && opened.string("email") == "buyer@example.com")
            let again = try await SignInFixture.exchange(h, first)
            #expect(again.status == .unauthorized && again.string("type")?.hasSuffix("sign-in-link-invalid") == true)

            _ = try await SignInFixture.requestLink(h, "buyer@example.com")
            let second = try SignInFixture.token(in: try #require(try await SignInFixture.links(h).last))
            h.clock.advance(minutes: 30)
            #expect(try await SignInFixture.exchange(h, second).status == .unauthorized, "30 minutes on, the link has expired")
            #expect(try await SignInFixture.exchange(h, "mtl_unknown").status == .unauthorized)
        }
    }

    @Test(arguments: TestEngines.all)
    func twoConcurrentUsesOfOneLinkOpenOneSession(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            _ = try await SignInFixture.paidOrder(h, email: "buyer@example.com")
            _ = try await SignInFixture.requestLink(h, "buyer@example.com")
            let token = try SignInFixture.token(in: try #require(try await SignInFixture.links(h).first))
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<8 { group.addTask { try await SignInFixture.exchange(h, token).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1 && statuses.filter { $0 == .unauthorized }.count == 7)
            #expect(try await SignInFixture.count(h, "buyer_sessions") == 1)
        }
    }

    @Test(arguments: TestEngines.all)
    func aSessionReadsTheOrdersOfItsAddressUntilItEnds(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let mine = try await SignInFixture.paidOrder(h, email: "Buyer@example.com")
            let theirs = try await SignInFixture.paidOrder(h, email: "other@example.com")
            let session = try await SignInFixture.session(h, "buyer@example.com")
            #expect(try await h.client.get("/api/v1/public/orders/\(mine)", key: session).status == .ok)
            #expect(try await h.client.get("/api/v1/public/orders/\(theirs)", key: session).status == .notFound)
            let cookie = try await h.client.send(.get, "/api/v1/public/orders/\(mine)", headers: [.cookie: "my_tickets_session=\(session)"])
            #expect(cookie.status == .ok)

            h.clock.advance(minutes: 24 * 60)
            #expect(try await h.client.get("/api/v1/public/orders/\(mine)", key: session).status == .notFound, "sessions last 24 hours")

            let next = try await SignInFixture.session(h, "buyer@example.com")
            #expect(try await h.client.send(.delete, "/api/v1/public/my-tickets/session", key: next).status == .noContent)
            #expect(try await h.client.get("/api/v1/public/orders/\(mine)", key: next).status == .notFound, "signed out")

            // Housekeeping drops ended links and sessions and keeps the open one.
            let live = try await SignInFixture.session(h, "buyer@example.com")
            h.clock.advance(minutes: 31)
            try await h.platform.housekeeping.run()
            #expect(try await SignInFixture.count(h, "magic_links") == 0)
            #expect(try await SignInFixture.count(h, "buyer_sessions") == 1)
            #expect(try await h.client.get("/api/v1/public/orders/\(mine)", key: live).status == .ok)
        }
    }

    @Test(arguments: TestEngines.all)
    func aSentLinkIsNotKeptInTheOutbox(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            _ = try await SignInFixture.paidOrder(h, email: "buyer@example.com")
            _ = try await SignInFixture.requestLink(h, "buyer@example.com")
            let message = try #require(try await SignInFixture.links(h).first)
            let token = try SignInFixture.token(in: message)
            let mailer = ScriptedMailer()
            let dispatcher = OutboxDispatcher(database: h.database, clock: h.clock, mailer: mailer,
                                              composer: try await MailComposer.load(directory: MailComposer.defaultDirectory()), logger: quietLogger)
            #expect(await dispatcher.drain() == 1)
            #expect(mailer.messages.first?.text.contains(token) == true)
            let engine = h.database.engine
            let sent = try #require(try await h.database.read { sql in try await OutboxRepository(sql, engine: engine).find(message.id) })
            #expect(sent.status == .sent && sent.content.model == "{}" && !String(describing: sent).contains(token))
            #expect(try await SignInFixture.exchange(h, token).status == .created, "the delivered link still works")
        }
    }
}

enum SignInFixture {
    static func paidOrder(_ h: CheckoutHarness, email: String) async throws -> String {
        let placed = try await h.placeOrder(body: h.cart(email: email))
        let id = try #require(placed.orderID, "\(placed.text)")
        _ = try await h.deliver(id: "paid-\(id)", type: "paid", order: id, amount: 2_500)
        await h.drain()
        return id
    }

    static func requestLink(_ h: CheckoutHarness, _ email: String) async throws -> APITestClient.Reply {
        try await h.client.post("/api/v1/public/my-tickets/links", key: nil, json: #"{"email":"\#(email)"}"#)
    }

    static func exchange(_ h: CheckoutHarness, _ token: String) async throws -> APITestClient.Reply {
        try await h.client.post("/api/v1/public/my-tickets/sessions", key: nil, json: #"{"token":"\#(token)"}"#)
    }

    /// A session of `email`, through a fresh link.
    static func session(_ h: CheckoutHarness, _ email: String) async throws -> String {
        _ = try await requestLink(h, email)
        let token = try self.token(in: try #require(try await links(h).last))
        return try #require(try await exchange(h, token).string("token"))
    }

    static func links(_ h: CheckoutHarness) async throws -> [OutboxMessage] {
        let engine = h.database.engine
        return try await h.database.read { sql in
            try await OutboxRepository(sql, engine: engine).list(statuses: OutboxStatus.allCases, after: nil, limit: 100).filter { $0.kind == .magicLink }
        }
    }

    static func link(in message: OutboxMessage) throws -> String {
        let model = try JSONSerialization.jsonObject(with: Data(message.content.model.utf8)) as? [String: Any]
        return try #require(model?["link"] as? String)
    }

    static func token(in message: OutboxMessage) throws -> String {
        try #require(URLComponents(string: try link(in: message))?.queryItems?.first { $0.name == "token" }?.value)
    }

    static func count(_ h: CheckoutHarness, _ table: String) async throws -> Int {
        struct Row: Decodable { let n: Int }
        return try await h.database.read { sql in try await sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first(decoding: Row.self)?.n ?? -1 }
    }
}
