import Backoffice
import Foundation
import Hummingbird
import HummingbirdTesting
import PayPal
import Platform
import PlatformServer
import PlatformTesting
import Testing
import X509
@testable import Ticketing

/// The production wiring, assembled from sample environments as `platform serve` assembles it.
@Suite struct AssemblyTests {
    static let base = ["TICKET_KEY_SECRET": "assembly-test-secret-0123456789", "BASE_URL": "https://tickets.example"]

    func assemble(_ environment: [String: String], engine: DatabaseEngine,
                  _ body: @escaping @Sendable (Platform) async throws -> Void) async throws {
        let assembly = try Assembly(environment: Self.base.merging(environment) { $1 }, logger: quietLogger)
        try await withTestDatabase(engine) { database in try await body(try await assembly.platform(database: database, clock: ManualClock())) }
    }

    @Test(arguments: TestEngines.all)
    func withNothingConfiguredTheSandboxTakesPaymentsAndMailGoesToFiles(engine: DatabaseEngine) async throws {
        let outbox = FileManager.default.temporaryDirectory.appendingPathComponent("assembly-\(UUID().uuidString)").path
        try await assemble(["MAIL_OUTBOX_DIR": outbox], engine: engine) { platform in
            #expect(platform.providers.ids == ["credits", "sandbox"])
            #expect((platform.mail?.mailer as? FileMailer)?.directory.path == outbox)
            #expect(platform.pages != nil && platform.outbox != nil)
            #expect(platform.config.baseURL == "https://tickets.example")
            let module = try #require(platform.modules.first as? TicketingModule)
            #expect(platform.modules.count == 2 && platform.modules.last is BackofficeModule)
            #expect(module.config.keySecret == Self.base["TICKET_KEY_SECRET"])
            // The ledger and the wallet, the module's tickets (with the confirmation that lists them), the audit trail, then the kernel's refund notice.
            #expect(platform.payments.observers.list.map { "\(type(of: $0))" }
                    == ["LedgerPostings", "WalletPostings", "TicketLifecycle", "OrderTrail", "RefundNotice"])
            let lifecycle = try #require(platform.payments.observers.list.compactMap { $0 as? TicketLifecycle }.first)
            #expect(lifecycle.confirmation?.settings.from == "tickets@localhost")
            #expect(lifecycle.confirmation?.settings.baseURL == "https://tickets.example")
            #expect(platform.workers.map { ($0 as? PeriodicWorker)?.name ?? ($0 as? QueueWorker)?.name ?? "\(type(of: $0))" }
                    == ["PaymentWorkers", "housekeeping", "hold release", "credit expiry", "webhooks", "mail"])
        }
    }

    @Test(arguments: TestEngines.all)
    func stripeAndResendReplaceTheDefaults(engine: DatabaseEngine) async throws {
        let environment = ["STRIPE_SECRET_KEY": "sk_test_1", "STRIPE_WEBHOOK_SECRET": "whsec_1", "RESEND_API_KEY": "re_1"]
        try await assemble(environment, engine: engine) { platform in
            #expect(platform.providers.ids == ["credits", "stripe"], "free tickets must not sit beside Stripe by default")
            #expect(platform.mail?.mailer.name == "resend")
        }
        try await assemble(environment.merging(["SANDBOX_ENABLED": "true"]) { $1 }, engine: engine) { platform in
            #expect(platform.providers.ids == ["credits", "sandbox", "stripe"])
        }
        try await assemble(environment.merging(["CREDITS_ENABLED": "false"]) { $1 }, engine: engine) { platform in
            #expect(platform.providers.ids == ["stripe"])
        }
    }

    @Test(arguments: TestEngines.all)
    func payPalIsOnWithItsThreeSettingsAndTrustAnchorsMustBeReadable(engine: DatabaseEngine) async throws {
        let ca = try TestPayPalCA()
        let anchors = FileManager.default.temporaryDirectory.appendingPathComponent("anchors-\(UUID().uuidString).pem")
        try ca.certificate.serializeAsPEM().pemString.write(to: anchors, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: anchors) }
        let environment = ["PAYPAL_CLIENT_ID": "client", "PAYPAL_CLIENT_SECRET": "secret", "PAYPAL_WEBHOOK_ID": "WH-1",
                           "PAYPAL_TRUST_ANCHORS": anchors.path]
        try await assemble(environment, engine: engine) { platform in
            #expect(platform.providers.ids == ["credits", "paypal"])
            #expect(platform.providers.payoutProvider("paypal") != nil)
        }
        try await assemble(environment.merging(["STRIPE_SECRET_KEY": "sk_test_1", "STRIPE_WEBHOOK_SECRET": "whsec_1"]) { $1 }, engine: engine) { platform in
            #expect(platform.providers.ids == ["credits", "paypal", "stripe"])
        }
        #expect(throws: ConfigError.self) {
            _ = try Assembly(environment: Self.base.merging(environment.merging(["PAYPAL_TRUST_ANCHORS": "/nonexistent.pem"]) { $1 }) { $1 },
                             logger: quietLogger).paymentProviders()
        }
        #expect(throws: ConfigError.self) {
            _ = try Assembly(environment: Self.base.merging(environment.merging(["PAYPAL_WEBHOOK_VERIFY": "maybe"]) { $1 }) { $1 },
                             logger: quietLogger).paymentProviders()
        }
    }

    /// The assembled platform serves: its routes, the Sandbox's page among them, answer.
    @Test(arguments: TestEngines.all)
    func theAssembledPlatformServes(engine: DatabaseEngine) async throws {
        try await assemble([:], engine: engine) { platform in
            let app = Application(router: buildRouter(platform), logger: quietLogger)
            try await app.test(.router) { raw async throws in
                let client = APITestClient(raw)
                #expect(try await client.get("/health").status == .ok)
                #expect(try await client.get("/my-tickets/sign-in").status == .ok)
                #expect(try await client.get("/sandbox/checkout/nonsense").status == .notFound)
            }
        }
    }

    /// ServiceLogger logs every service at start-up with its description; a worker used to print
    /// the providers' configurations, keys and all (found by the crash campaign's log search).
    @Test(arguments: TestEngines.all)
    func nothingTheServerMightPrintCarriesASecret(engine: DatabaseEngine) async throws {
        let secrets = ["STRIPE_SECRET_KEY": "sk_test_never_printed", "STRIPE_WEBHOOK_SECRET": "whsec_never_printed",
                       "RESEND_API_KEY": "re_never_printed", "SANDBOX_ENABLED": "true", "SANDBOX_SECRET": "sandbox-never-printed",
                       "TICKET_KEY_SECRET": "ticket-key-never-printed"]
        try await assemble(secrets, engine: engine) { platform in
            var dumped = ""
            dump(platform.workers, to: &dumped)
            dump(platform.config, to: &dumped)
            let printed = [String(describing: platform.workers), String(reflecting: platform.workers), String(describing: platform.config),
                           String(reflecting: platform.providers), String(describing: platform.modules), dumped]
            for text in printed {
                for secret in secrets.values where secret.contains("never") { #expect(!text.contains(secret), "\(text.prefix(300))") }
            }
            #expect(String(describing: platform.workers).contains("payment workers"))
        }
        let payPal = PayPalConfiguration(clientID: "client", clientSecret: "paypal-never-printed", webhookID: "WH-1")
        #expect(!String(reflecting: payPal).contains("never") && String(describing: payPal).contains("secrets redacted"))
    }

    @Test func aSettingThatCannotBeUsedStopsTheAssembly() throws {
        #expect(throws: ConfigError("RESEND_RATE_LIMIT must be a whole number of requests a second from 1 to 100000")) {
            try Assembly(environment: ["RESEND_API_KEY": "re_1", "RESEND_RATE_LIMIT": "0"], logger: quietLogger).mailer()
        }
        #expect(throws: ConfigError.self) { try Assembly(environment: ["PORT": "eighty"], logger: quietLogger) }
        #expect(throws: ConfigError("--port must be a number from 0 to 65535")) {
            try Assembly(environment: [:], logger: quietLogger, port: 99_999)
        }
    }
}
