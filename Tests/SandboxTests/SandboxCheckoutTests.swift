import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
@testable import Sandbox
import Testing

@Suite struct SandboxCheckoutTests {
    static let base = "http://127.0.0.1:8080"

    func sandbox() -> SandboxProvider { SandboxProvider(secret: "sandbox-test-secret", baseURL: Self.base) }

    /// Places a sandbox order and returns its id, access token and checkout path.
    func place(_ h: CheckoutHarness, quantity: Int = 2) async throws -> (id: String, token: String, path: String) {
        let reply = try await h.placeOrder(body: h.cart(quantity: quantity, provider: "sandbox"))
        #expect(reply.status == .created, "\(reply.text)")
        let id = try #require((reply.json["order"] as? [String: Any])?["id"] as? String)
        let url = try #require(reply.string("checkout_url"))
        #expect(url.hasPrefix(Self.base + "/sandbox/checkout/"))
        return (id, try #require(reply.string("access_token")), String(url.dropFirst(Self.base.count)))
    }

    func press(_ h: CheckoutHarness, _ path: String, _ action: String) async throws -> (HTTPResponse.Status, String?) {
        try await h.client.client.execute(uri: path + "/" + action, method: .post) { ($0.status, $0.headers[.location]) }
    }

    @Test(arguments: TestEngines.all)
    func payingOnThePageMakesTheOrderPaid(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine, extraProviders: [sandbox()]) { h in
            let (id, token, path) = try await place(h)
            let page = try await h.client.get(path)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.text.contains("50.00 EUR"))
            #expect(page.text.contains("Harness Night"))

            let (status, location) = try await press(h, path, "pay")
            #expect(status == .seeOther)
            #expect(location == "\(Self.base)/my-tickets/orders/\(id)?token=\(token)", "back to the order's page")
            _ = try await press(h, path, "pay")
            #expect(try await h.inboxCount() == 1, "pressing Pay twice delivers one event")
            await h.drain()
            #expect(try await h.client.get("/api/v1/public/orders/\(id)?token=\(token)").string("status") == "paid")
            #expect(try await h.variantCounts() == (2, 0))
        }
    }

    @Test(arguments: TestEngines.all)
    func declineAndCancelReleaseTheSeats(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine, extraProviders: [sandbox()]) { h in
            let declined = try await place(h)
            let cancelled = try await place(h, quantity: 1)
            #expect(try await h.variantCounts() == (0, 3))
            _ = try await press(h, declined.path, "decline")
            let (status, location) = try await press(h, cancelled.path, "cancel")
            #expect(status == .seeOther && location?.contains(cancelled.id) == true)
            await h.drain()
            #expect(try await h.order(declined.id).string("status") == "failed")
            #expect(try await h.order(cancelled.id).string("status") == "cancelled")
            #expect(try await h.variantCounts() == (0, 0))
        }
    }

    @Test(arguments: TestEngines.all)
    func refundsConfirmThroughASignedWebhook(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine, extraProviders: [sandbox()]) { h in
            let (id, _, path) = try await place(h)
            _ = try await press(h, path, "pay")
            await h.drain()
            let refund = try await h.client.post("/api/v1/orders/\(id)/refunds", key: h.organizerKey, json: #"{"amount":2000}"#)
            #expect(refund.status == .accepted)
            #expect(refund.string("provider_reference")?.hasPrefix("sbx_re_") == true)
            await h.drain()
            let order = try await h.order(id)
            #expect(order.string("status") == "partially_refunded")
            #expect(order.json["refunded"] as? Int == 2_000)
            _ = try await h.client.send(.post, "/api/v1/orders/\(id)/refunds", key: h.organizerKey)
            await h.drain()
            #expect(try await h.order(id).string("status") == "refunded")
            #expect(try await h.variantCounts() == (0, 0))
        }
    }

    @Test func tamperedAndExpiredSessionsAreRefused() async throws {
        try await CheckoutHarness.run(.sqlite, extraProviders: [sandbox()]) { h in
            let (_, _, path) = try await place(h)
            // The session is sealed (encrypted and authenticated): change one byte of it, say the amount's.
            var sealed = try #require(Data(base64URL: String(path.dropFirst("/sandbox/checkout/".count))))
            sealed[sealed.count / 2] ^= 0x01
            let forged = "/sandbox/checkout/" + sealed.base64URLText
            #expect(try await h.client.get(forged).status == .notFound)
            #expect(try await press(h, forged, "pay").0 == .notFound)

            h.clock.advance(minutes: 16)
            #expect(try await h.client.get(path).text.contains("This checkout has expired."))
            #expect(try await press(h, path, "pay").0 == .gone)
            #expect(try await h.inboxCount() == 0)
        }
    }

    @Test func webhooksWithoutTheSandboxSecretAreRejected() async throws {
        try await CheckoutHarness.run(.sqlite, extraProviders: [sandbox()]) { h in
            let body = Data(#"{"id":"sbx_evt_x","type":"payment.succeeded","data":{"order_id":"ord_x"}}"#.utf8)
            let now = h.clock.now().milliseconds / 1000
            let forged = TimestampedSignature.header(body: body, secret: "guessed", timestamp: now)
            let status = try await h.client.client.execute(uri: "/webhooks/sandbox", method: .post,
                                                           headers: [SandboxProvider.signatureHeader: forged], body: ByteBuffer(bytes: body)) { $0.status }
            #expect(status == .badRequest)
            let genuine = TimestampedSignature.header(body: body, secret: "sandbox-test-secret", timestamp: now)
            let accepted = try await h.client.client.execute(uri: "/webhooks/sandbox", method: .post,
                                                             headers: [SandboxProvider.signatureHeader: genuine], body: ByteBuffer(bytes: body)) { $0.status }
            #expect(accepted == .ok)
        }
    }

    /// The checkout URL lands in request logs and browser histories: the order's access token in
    /// its return URLs must not be readable there.
    @Test func theCheckoutURLDoesNotShowTheReturnURLs() throws {
        let session = SandboxSession(orderID: "ord_x", amount: 1, currency: "EUR", title: "Gala",
                                     successURL: "https://a.example/orders/ord_x?token=ord_tok_secret", cancelURL: "https://a.example",
                                     expiresAt: .max)
        let token = try session.sealed(secret: sandbox().secret)
        let decoded = String(decoding: try #require(Data(base64URL: token)), as: UTF8.self)
        #expect(!token.contains("ord_tok") && !decoded.contains("ord_tok") && !decoded.contains("a.example"))
    }

    @Test func hostileEventTitlesAreEscaped() async throws {
        let session = SandboxSession(orderID: "ord_x", amount: 1, currency: "EUR", title: "<script>alert('x')</script>",
                                     successURL: "https://a.example", cancelURL: "https://a.example", expiresAt: .max)
        let provider = sandbox()
        let token = try session.sealed(secret: provider.secret)
        #expect(SandboxSession.open(token, secret: provider.secret) == session)
        #expect(SandboxSession.open(token, secret: "other") == nil)
        var flipped = Array(token.utf8)
        flipped[20] = flipped[20] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(SandboxSession.open(String(decoding: flipped, as: UTF8.self), secret: provider.secret) == nil)
        try await CheckoutHarness.run(.sqlite, extraProviders: [provider]) { h in
            let page = try await h.client.get("/sandbox/checkout/\(token)")
            #expect(!page.text.contains("<script>"))
            #expect(page.text.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
        }
    }

    @Test func offeredOnlyWhileNoRealProviderIsConfigured() throws {
        func isEnabled(_ environment: [String: String], realProviderConfigured: Bool) throws -> Bool {
            try SandboxPlugin.setUp(PluginContext(settings: Settings(environment: environment), baseURL: Self.base, logger: quietLogger,
                                                  paymentProviders: realProviderConfigured ? ["stripe"] : [])).enabled != nil
        }
        #expect(try isEnabled([:], realProviderConfigured: false))
        #expect(try !isEnabled([:], realProviderConfigured: true), "free tickets must not sit beside Stripe by default")
        #expect(try isEnabled(["SANDBOX_ENABLED": "true"], realProviderConfigured: true))
        #expect(try !isEnabled(["SANDBOX_ENABLED": "false"], realProviderConfigured: false))
        #expect(throws: ConfigError.self) { try isEnabled(["SANDBOX_ENABLED": "maybe"], realProviderConfigured: false) }
    }
}
