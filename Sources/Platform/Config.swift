import Logging

/// Everything the platform reads from the environment, with its defaults (README lists them).
public struct PlatformConfig: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Where people reach this server; links in pages and emails start with it.
    public var baseURL = "http://127.0.0.1:8080"
    /// nil selects the embedded SQLite file `./data/platform.sqlite`.
    public var databaseURL: String?
    public var maxBodyBytes = 1 << 20
    public var logLevel = Logger.Level.info
    /// Orders one client may place a minute.
    public var checkoutRateLimit = 20
    /// Sign-in requests (links asked for, links used) one client may make a minute.
    public var signInRateLimit = 10
    /// Take the client address from X-Forwarded-For (only behind a proxy that sets it).
    public var trustForwardedFor = false
    /// Days a processed or ignored webhook is kept (and recognised as a repeat) before it is deleted.
    public var webhookRetentionDays: Int64 = 30
    /// The address emails are sent from; the organizer's name is the sender name.
    public var mailFrom = "tickets@localhost"

    public init() {}

    public static func fromEnvironment(_ environment: [String: String]) throws -> PlatformConfig {
        var config = PlatformConfig()
        if let host = environment["HOST"], !host.isEmpty { config.host = host }
        if let text = environment["PORT"], !text.isEmpty {
            guard let port = Int(text), (0...65535).contains(port) else { throw ConfigError("PORT must be a number from 0 to 65535") }
            config.port = port
        }
        config.baseURL = environment["BASE_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://\(config.host):\(config.port)"
        while config.baseURL.hasSuffix("/") { config.baseURL.removeLast() }
        config.databaseURL = environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if let text = environment["MAX_BODY_BYTES"], !text.isEmpty {
            guard let bytes = Int(text), bytes > 0 else { throw ConfigError("MAX_BODY_BYTES must be a positive number") }
            config.maxBodyBytes = bytes
        }
        if let text = environment["LOG_LEVEL"], !text.isEmpty {
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw ConfigError("LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical")
            }
            config.logLevel = level
        }
        if let text = environment["CHECKOUT_RATE_LIMIT"], !text.isEmpty {
            guard let limit = Int(text), limit > 0 else { throw ConfigError("CHECKOUT_RATE_LIMIT must be a positive number") }
            config.checkoutRateLimit = limit
        }
        if let text = environment["SIGN_IN_RATE_LIMIT"], !text.isEmpty {
            guard let limit = Int(text), limit > 0 else { throw ConfigError("SIGN_IN_RATE_LIMIT must be a positive number") }
            config.signInRateLimit = limit
        }
        if let text = environment["WEBHOOK_RETENTION_DAYS"], !text.isEmpty {
            guard let days = Int64(text), days >= 7 else {
                throw ConfigError("WEBHOOK_RETENTION_DAYS must be at least 7 (providers redeliver for up to 3 days)")
            }
            config.webhookRetentionDays = days
        }
        config.trustForwardedFor = ["1", "true", "yes"].contains(environment["TRUST_FORWARDED_FOR"]?.lowercased() ?? "")
        if let from = environment["MAIL_FROM"], !from.isEmpty {
            guard from.contains("@"), !from.contains(where: \.isNewline) else { throw ConfigError("MAIL_FROM must be an email address") }
            config.mailFrom = from
        }
        return config
    }
}

public struct ConfigError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
