import Backoffice
import Credits
import Foundation
import Logging
import Platform
import PluginKit
import Resend
import PayPal
import Sandbox
import Stripe
import Ticketing

/// The one place concrete plugins and modules are chosen, and the platform assembled from
/// settings: `serve`, `demo`, the operator commands and the benchmarks all build it here.
package struct Assembly: Sendable {
    /// Set up in this order: the Sandbox after the real providers, as it stays off beside one; buyer
    /// credit last, as it is no reason to turn the Sandbox off.
    package static let paymentPlugins: [any PaymentPlugin.Type] = [StripePlugin.self, PayPalPlugin.self, SandboxPlugin.self, CreditsPlugin.self]
    /// The first one enabled sends the mail; without any, mail goes to `.eml` files.
    package static let mailerPlugins: [any MailerPlugin.Type] = [ResendPlugin.self]

    /// The variables the settings are read from; directories of templates and migrations too.
    package let environment: [String: String]
    package let settings: Settings
    package let config: PlatformConfig
    package let logger: Logger
    /// Paid orders queue their confirmation email; off only for benchmarks that measure the
    /// payment path as it was measured before confirmations existed.
    let orderConfirmations: Bool

    /// `host` and `port` (from the command line) replace HOST and PORT; BASE_URL follows them unless it is set.
    /// - Throws: `ConfigError` naming a setting that cannot be used.
    package init(environment: [String: String], logger: Logger, host: String? = nil, port: Int? = nil,
                 orderConfirmations: Bool = true) throws {
        self.environment = environment
        settings = Settings(environment: environment)
        var config = try PlatformConfig(settings)
        if let host { config.host = host }
        if let port {
            guard (0...65535).contains(port) else { throw ConfigError("--port must be a number from 0 to 65535") }
            config.port = port
        }
        if host != nil || port != nil, settings.string("BASE_URL") == nil { config.baseURL = "http://\(config.host):\(config.port)" }
        self.config = config
        self.logger = logger
        self.orderConfirmations = orderConfirmations
    }

    /// The enabled payment providers, in the order of `paymentPlugins`; each disabled plugin is logged once.
    package func paymentProviders() throws -> [any PaymentProvider] {
        var providers: [any PaymentProvider] = []
        for plugin in Self.paymentPlugins {
            let context = PluginContext(settings: settings, baseURL: config.baseURL, logger: logger, paymentProviders: providers.map(\.id))
            if let provider = enabled(plugin.name, try plugin.setUp(context)) { providers.append(provider) }
        }
        return providers
    }

    /// The first mailer plugin enabled, else the file mailer writing to MAIL_OUTBOX_DIR.
    package func mailer() throws -> any Mailer {
        for plugin in Self.mailerPlugins {
            let context = PluginContext(settings: settings, baseURL: config.baseURL, logger: logger)
            if let mailer = enabled(plugin.name, try plugin.setUp(context)) { return mailer }
        }
        let directory = settings.string("MAIL_OUTBOX_DIR") ?? "data/outbox"
        logger.info("mail goes to files", metadata: ["directory": "\(directory)", "reason": "no mail provider is configured"])
        return FileMailer(directory: URL(fileURLWithPath: directory))
    }

    private func enabled<Provided>(_ name: String, _ setup: PluginSetup<Provided>) -> Provided? {
        switch setup {
        case let .enabled(provided):
            logger.info("\(name) plugin enabled")
            return provided
        case let .disabled(reason):
            logger.info("\(name) plugin disabled", metadata: ["reason": "\(reason)"])
            return nil
        }
    }

    /// Ticketing's settings, read when a command needs them (`migrate` does not).
    /// - Throws: `TicketingConfigurationError` or `ConfigError` naming the setting.
    package func ticketing() throws -> TicketingConfig { try TicketingConfig(settings) }

    /// The ticket signing keys, opened (and created on first use) in the database.
    package func ticketKeys(database: any Database, clock: any WallClock) async throws -> TicketKeyRing {
        let keysConfig = try ticketing()
        if keysConfig.keySecret == nil && keysConfig.signingKey == nil {
            logger.warning("ticket signing keys are sealed with a generated secret; set TICKET_KEY_SECRET in production",
                           metadata: ["file": "\(keysConfig.keySecretFile)"])
        }
        return try await TicketKeyRing.open(database: database, clock: clock, config: keysConfig)
    }

    /// The whole platform on an open, migrated database: plugins, the Ticketing module, mail and pages.
    /// `hosts` resolves webhook endpoints' names (tests give a fixed table).
    package func platform(database: any Database, clock: any WallClock = SystemClock(),
                          hosts: any HostResolver = SystemHostResolver()) async throws -> Platform {
        let providers = PaymentProviders(try paymentProviders())
        var ticketing = try ticketing()
        ticketing.baseURL = config.baseURL
        let tickets = TicketingModule(
            database: database, clock: clock, keys: try await ticketKeys(database: database, clock: clock), config: ticketing,
            confirmations: orderConfirmations ? TicketMailSettings(from: config.mailFrom, baseURL: config.baseURL) : nil)
        let modules: [any PlatformModule] = [tickets, BackofficeModule()]
        let composer = try await MailComposer.load(directory: MailComposer.defaultDirectory(environment: environment),
                                                   renderers: modules.flatMap(\.inlineImageRenderers))
        return Platform(database: database, clock: clock, config: config, logger: logger, providers: providers, modules: modules,
                        mail: MailSetup(mailer: try mailer(), composer: composer),
                        pages: try PageRenderer.load(directory: PageRenderer.defaultDirectory(environment: environment)), hosts: hosts)
    }
}
