import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Platform
import Testing

/// Everything a checkout test needs: the API, the database, the clock, the workers and a test
/// provider, plus a live event with one variant.
package struct CheckoutHarness: Sendable {
    package let client: APITestClient
    package let database: any Database
    package let clock: ManualClock
    package let platform: Platform
    package let provider: TestPaymentProvider
    package let organizerKey: String
    package let adminKey: String
    package let eventID: String
    package let variantID: String

    /// Runs `body` with a live event whose one variant costs `price` and has `quota` seats; then,
    /// unless `checksLedger` is false, expects the ledger's invariants to hold.
    package static func run(
        _ engine: DatabaseEngine, clock: ManualClock = ManualClock(), price: Int64 = 2_500, quota: Int64 = 100, maxPerOrder: Int64? = nil,
        currency: Currency = .eur,
        config: PlatformConfig = { var c = PlatformConfig(); c.checkoutRateLimit = 1_000_000; return c }(),
        provider: TestPaymentProvider = TestPaymentProvider(),
        extraProviders: [any PaymentProvider] = [],
        mail: MailSetup? = nil,
        hosts: any HostResolver = SystemHostResolver(),
        checksLedger: Bool = true,
        modules: @escaping @Sendable (any Database, ManualClock, PlatformConfig) async throws -> [any PlatformModule] = { _, _, _ in [] },
        _ body: @escaping @Sendable (CheckoutHarness) async throws -> Void
    ) async throws {
        try await withTestDatabase(engine) { database in
            let platform = Platform(
                database: database, clock: clock, config: config, logger: quietLogger, providers: PaymentProviders([provider] + extraProviders),
                modules: try await modules(database, clock, config), mail: mail,
                pages: try PageRenderer.load(directory: PageRenderer.defaultDirectory()), hosts: hosts)
            let catalog = Catalog(database: database, clock: clock)
            let (organizer, key) = try await catalog.createOrganizer(name: "Harness", slug: "harness", email: "h@harness.example", feeBasisPoints: nil)
            let event = try await catalog.createEvent(
                NewEvent(title: "Harness Night", startsAt: clock.now().adding(minutes: 60 * 24 * 30), timezone: "Europe/Berlin",
                         currency: currency, status: .live, redirectOrigins: ["https://shop.example.com"]), organizer: organizer.id)
            let (variant, _) = try await catalog.createVariant(
                NewVariant(name: "GA", price: price, quota: quota, maxPerOrder: maxPerOrder, status: .live), event: event.id, organizer: organizer.id)
            let admin = try await issueAdminKey(database, clock: clock)
            let app = Application(router: buildRouter(platform), logger: quietLogger)
            try await app.test(.router) { raw in
                try await body(CheckoutHarness(
                    client: APITestClient(raw), database: database, clock: clock, platform: platform, provider: provider,
                    organizerKey: key.secret, adminKey: admin, eventID: event.id.rawValue, variantID: variant.id.rawValue))
            }
            if checksLedger {
                let discrepancies = try await database.read { sql in try await LedgerInvariants.check(on: sql) }
                #expect(discrepancies == [], "the ledger's invariants after the scenario")
            }
        }
    }

    package func cart(quantity: Int = 1, email: String = "buyer@example.com", provider: String = "test", extra: String = "") -> String {
        #"{"lines":[{"variant_id":"\#(variantID)","quantity":\#(quantity)}],"email":"\#(email)","provider":"\#(provider)"\#(extra)}"#
    }

    package func placeOrder(key: String = UUID().uuidString, body: String? = nil) async throws -> APITestClient.Reply {
        try await client.send(.post, "/api/v1/public/events/\(eventID)/orders", json: body ?? cart(),
                              headers: [HTTPField.Name("Idempotency-Key")!: key])
    }

    /// Delivers a signed provider event to `POST /webhooks/test`.
    package func deliver(id: String, type: String, order: String, amount: Int64? = nil, currency: String? = "EUR",
                        reference: String? = nil, secret: String? = nil, at time: Timestamp? = nil) async throws -> APITestClient.Reply {
        let delivery = provider.delivery(id: id, type: type, order: order, amount: amount, currency: currency, reference: reference,
                                         at: time ?? clock.now(), secret: secret)
        return try await client.client.execute(uri: "/webhooks/test", method: .post, headers: delivery.headers, body: delivery.body) { response in
            APITestClient.Reply(status: response.status, headers: response.headers, body: Data(buffer: response.body))
        }
    }

    /// Runs the inbox worker until nothing is due.
    @discardableResult
    package func drain() async -> Int { await platform.inbox.drain() }

    package func variantCounts() async throws -> (sold: Int64, reserved: Int64) {
        struct Row: Decodable { let sold: Int64, reserved: Int64 }
        let row = try await database.read { sql in
            try await sql.raw("SELECT sold, reserved FROM ticket_variants WHERE id = \(bind: variantID)").first(decoding: Row.self)
        }
        return (row?.sold ?? -1, row?.reserved ?? -1)
    }

    package func order(_ id: String) async throws -> APITestClient.Reply {
        try await client.get("/api/v1/orders/\(id)", key: organizerKey)
    }

    package func inboxCount(status: String? = nil) async throws -> Int {
        struct Row: Decodable { let n: Int }
        return try await database.read { sql in
            if let status {
                return try await sql.raw("SELECT COUNT(*) AS n FROM webhook_inbox WHERE status = \(bind: status)").first(decoding: Row.self)?.n ?? -1
            }
            return try await sql.raw("SELECT COUNT(*) AS n FROM webhook_inbox").first(decoding: Row.self)?.n ?? -1
        }
    }
}

import SQLKit

extension CheckoutHarness {
    /// The harness organizer's id.
    package func organizerID() async throws -> OrganizerID {
        let key = organizerKey
        return try #require(try await database.read { sql in
            try await APIKeyRepository(sql).findActive(secretHash: SecretToken.hash(key))
        }?.scope.organizerID)
    }

    /// The harness organizer's balances in its first currency, as `GET /api/v1/balances` gives them.
    package func balance() async throws -> [String: Any] {
        try #require((try await client.get("/api/v1/balances", key: organizerKey).json["data"] as? [[String: Any]])?.first)
    }
}

extension CheckoutHarness {
    /// Every ledger account's balance by "account currency" ("review:test EUR"), as the ledger's
    /// normal side counts it.
    package func accountBalances() async throws -> [String: Int64] {
        let totals = try await database.read { sql in try await LedgerRepository(sql).accountTotals() }
        return Dictionary(uniqueKeysWithValues: totals.map {
            ("\($0.account) \($0.currency)", LedgerAccount.balance(code: $0.account, debits: $0.debits, credits: $0.credits))
        })
    }
}

extension CheckoutHarness {
    /// A buyer session of `email`, as signing in to My tickets opens one (for a year of the test clock).
    package func buyerSession(_ email: String = "buyer@example.com") async throws -> String {
        let token = SecretToken.make(marker: "mts_")
        let now = clock.now()
        try await database.transaction { sql in
            try await BuyerSessionRepository(sql).insertSession(tokenHash: SecretToken.hash(token), email: email, at: now,
                                                                expiresAt: now.adding(minutes: 60 * 24 * 365))
        }
        return token
    }

    /// Creates a credit pack as the admin; answers its id.
    package func creditPack(price: Int64, credit: Int64, expiresDays: Int? = nil) async throws -> String {
        let expiry = expiresDays.map { #","expires_days":\#($0)"# } ?? ""
        let reply = try await client.post("/api/v1/admin/credit-packs", key: adminKey,
                                          json: #"{"name":"Pack \#(credit)","price":\#(price),"currency":"EUR","credit":\#(credit)\#(expiry)}"#)
        return try #require(reply.string("id"), "\(reply.text)")
    }

    /// The available credit of an address, in EUR minor units.
    package func credit(of email: String = "buyer@example.com") async throws -> Int64 {
        try await platform.wallets.balance(email: email, currency: .eur)?.available ?? 0
    }
}
