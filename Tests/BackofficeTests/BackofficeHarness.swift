import Backoffice
import Foundation
import Platform
import PlatformTesting
import SQLKit
import Testing
import Ticketing

/// The checkout harness with the back office installed, a fast password hash, and an owner.
struct BackofficeHarness: Sendable {
    static let ownerEmail = "owner@harness.example"
    static let ownerPassword = "correct horse battery"

    let base: CheckoutHarness
    let organizer: OrganizerID
    var client: APITestClient { base.client }
    var members: Members { base.platform.members }

    static func run(_ engine: DatabaseEngine, signInRateLimit: Int = 1_000,
                    _ body: @escaping @Sendable (BackofficeHarness) async throws -> Void) async throws {
        var config = PlatformConfig()
        config.checkoutRateLimit = 1_000_000
        config.signInRateLimit = signInRateLimit
        config.passwordHashCost = 4
        config.mailFrom = "tickets@platform.example"
        var ticketing = TicketingConfig()
        ticketing.keySecret = "test-sealing-secret-0123456789"
        ticketing.checkinRateLimit = 1_000_000
        let settings = ticketing
        try await CheckoutHarness.run(engine, config: config, modules: { database, clock, platform in
            let keys = try await TicketKeyRing.open(database: database, clock: clock, config: settings)
            return [TicketingModule(database: database, clock: clock, keys: keys, config: settings,
                                    confirmations: TicketMailSettings(from: platform.mailFrom, baseURL: platform.baseURL)),
                    BackofficeModule()]
        }) { base in
            let (organizer, _, _) = try await base.platform.catalog.shopEvent(try #require(EventID(base.eventID)))
            _ = try await base.platform.members.create(email: ownerEmail, password: ownerPassword, role: .owner, organizer: organizer.id)
            try await body(BackofficeHarness(base: base, organizer: organizer.id))
        }
    }

    /// A browser signed in as `email`.
    func signedIn(_ email: String = ownerEmail, password: String = ownerPassword, lands: String = "/backoffice") async throws -> PageBrowser {
        var browser = PageBrowser(client: client)
        let page = try await browser.get("/backoffice/sign-in")
        let reply = try await browser.post("/backoffice/sign-in", form: [
            "csrf": try #require(page.formValue("csrf")), "email": email, "password": password, "next": "",
        ])
        #expect(reply.status == .seeOther && reply.headers[.location] == lands, "\(reply.text)")
        return browser
    }

    /// The link in the latest email of `kind` (an invitation, a password reset).
    func latestLink(_ kind: MailKind) async throws -> String? {
        let engine = base.database.engine
        let message = try await base.database.read { sql in
            try await OutboxRepository(sql, engine: engine).list(statuses: OutboxStatus.allCases, after: nil, limit: 1000).last { $0.kind == kind }
        }
        guard let model = message.flatMap({ try? JSONSerialization.jsonObject(with: Data($0.content.model.utf8)) as? [String: Any] }) else { return nil }
        return model["link"] as? String
    }

    /// The path and query of a link the platform emailed.
    static func path(_ link: String) throws -> String {
        let url = try #require(URLComponents(string: link))
        return url.path + "?" + (url.query ?? "")
    }

    /// Pays an order of `quantity` seats through the test provider.
    func paidOrder(quantity: Int, email: String = "buyer@example.com", name: String? = nil) async throws -> String {
        let extra = name.map { #","name":"\#($0)""# } ?? ""
        let placed = try await base.placeOrder(body: base.cart(quantity: quantity, email: email, extra: extra))
        let id = try #require(placed.orderID)
        _ = try await base.deliver(id: "evt-\(id)", type: "paid", order: id, amount: 2_500 * Int64(quantity), reference: "pay-\(id)")
        _ = await base.drain()
        return id
    }
}
