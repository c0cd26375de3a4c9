import Logging
import PluginKit

/// Everything the platform reads from the environment, with its defaults (README lists them).
package struct PlatformConfig: Sendable {
    package var host = "127.0.0.1"
    package var port = 8080
    /// Where people reach this server; links in pages and emails start with it.
    package var baseURL = "http://127.0.0.1:8080"
    /// nil selects the embedded SQLite file `./data/platform.sqlite`.
    package var databaseURL: String?
    package var maxBodyBytes = 1 << 20
    package var logLevel = Logger.Level.info
    /// Orders one client may place a minute.
    package var checkoutRateLimit = 20
    /// Sign-in requests (links asked for, links used) one client may make a minute.
    package var signInRateLimit = 10
    /// bcrypt's cost for member passwords (2^cost rounds); 12 takes about a quarter of a second.
    package var passwordHashCost = 12
    /// Take the client address from X-Forwarded-For (only behind a proxy that sets it).
    package var trustForwardedFor = false
    /// Days a processed or ignored webhook is kept (and recognised as a repeat) before it is deleted.
    package var webhookRetentionDays: Int64 = 30
    /// The address emails are sent from; the organizer's name is the sender name.
    package var mailFrom = "tickets@localhost"
    /// When organizers' net becomes available for payouts, unless an admin set one of their own.
    package var payoutHold = PayoutHold.standard
    /// The smallest available balance a payout run pays, per currency (minor units).
    package var payoutMinimum = PayoutMinimum.standard
    /// Lets outgoing webhooks go to loopback addresses, over http too (development only): without
    /// it endpoints must be https URLs of public addresses.
    package var allowHTTPWebhooks = false

    package init() {}

    package static func fromEnvironment(_ environment: [String: String]) throws -> PlatformConfig {
        try PlatformConfig(Settings(environment: environment))
    }

    /// - Throws: `ConfigError` naming the first setting that cannot be used.
    package init(_ settings: Settings) throws {
        if let host = settings.string("HOST") { self.host = host }
        port = try settings.integer("PORT", default: port, in: 0...65535, "a number from 0 to 65535")
        baseURL = settings.url("BASE_URL") ?? "http://\(host):\(port)"
        databaseURL = settings.string("DATABASE_URL", secret: true)
        maxBodyBytes = try settings.integer("MAX_BODY_BYTES", default: maxBodyBytes, in: 1...Int.max, "a positive number")
        if let text = settings.string("LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw ConfigError("LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical")
            }
            logLevel = level
        }
        checkoutRateLimit = try settings.integer("CHECKOUT_RATE_LIMIT", default: checkoutRateLimit, in: 1...Int.max, "a positive number")
        signInRateLimit = try settings.integer("SIGN_IN_RATE_LIMIT", default: signInRateLimit, in: 1...Int.max, "a positive number")
        passwordHashCost = try settings.integer("PASSWORD_HASH_COST", default: passwordHashCost, in: 4...16, "a number from 4 to 16")
        webhookRetentionDays = Int64(try settings.integer(
            "WEBHOOK_RETENTION_DAYS", default: Int(webhookRetentionDays), in: 7...Int(Int32.max),
            "at least 7 (providers redeliver for up to 3 days)"))
        trustForwardedFor = try settings.flag("TRUST_FORWARDED_FOR") ?? false
        allowHTTPWebhooks = try settings.flag("ALLOW_HTTP_WEBHOOKS") ?? false
        let holdFrom = try settings.string("PAYOUT_HOLD_FROM").map { text in
            guard let from = PayoutHold.From(rawValue: text) else { throw ConfigError("PAYOUT_HOLD_FROM must be event_end or payment") }
            return from
        }
        payoutHold = PayoutHold(
            from: holdFrom ?? payoutHold.from,
            days: try settings.integer("PAYOUT_HOLD_DAYS", default: payoutHold.days, in: 0...PayoutHold.maxDays,
                                       "a whole number of days from 0 to \(PayoutHold.maxDays)"))
        if let text = settings.string("PAYOUT_MINIMUM") {
            guard let minimum = PayoutMinimum(text) else {
                throw ConfigError("PAYOUT_MINIMUM must be minor units of at least 1, optionally with exceptions: 1000,JPY=500")
            }
            payoutMinimum = minimum
        }
        if let from = settings.string("MAIL_FROM") {
            guard from.contains("@"), !from.contains(where: \.isNewline) else { throw ConfigError("MAIL_FROM must be an email address") }
            mailFrom = from
        }
    }
}

extension PlatformConfig: SecretHolding {
    package var publicFields: KeyValuePairs<String, Any> { ["host": host, "port": port, "baseURL": baseURL] }
}
