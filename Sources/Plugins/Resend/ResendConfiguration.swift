import PluginKit

/// The Resend plugin's settings, read from the environment. Without `RESEND_API_KEY` the plugin is
/// off and mail goes to the file mailer.
public struct ResendConfiguration: Sendable {
    public var apiKey: String
    public var apiBase = "https://api.resend.com"
    /// Each request's deadline; the outbox's lease (120 s) is far longer.
    public var requestTimeout: Duration = .seconds(20)
    /// Sends a second at most: Resend's default team limit is a few requests a second.
    public var requestsPerSecond = 2

    public init(apiKey: String) { self.apiKey = apiKey }

    /// From `RESEND_API_KEY`, `RESEND_API_BASE` and `RESEND_RATE_LIMIT`; disabled, with the
    /// reason, while the key is unset.
    /// - Throws: `ConfigError` when `RESEND_RATE_LIMIT` is not a whole number from 1 to 100000.
    public static func from(_ settings: Settings) throws -> PluginSetup<ResendConfiguration> {
        guard let key = settings.string("RESEND_API_KEY", secret: true) else { return .disabled(reason: "RESEND_API_KEY is not set") }
        var configuration = ResendConfiguration(apiKey: key)
        if let base = settings.url("RESEND_API_BASE") { configuration.apiBase = base }
        configuration.requestsPerSecond = try settings.integer(
            "RESEND_RATE_LIMIT", default: configuration.requestsPerSecond, in: 1...100_000, "a whole number of requests a second from 1 to 100000")
        return .enabled(configuration)
    }
}

/// Sends mail through Resend's API.
public enum ResendPlugin: MailerPlugin {
    public static let name = "resend"

    public static func setUp(_ context: PluginContext) throws -> PluginSetup<any Mailer> {
        try ResendConfiguration.from(context.settings).map { ResendMailer(configuration: $0, logger: context.logger) }
    }
}

extension ResendConfiguration: SecretHolding {
    public var publicFields: KeyValuePairs<String, Any> { ["apiBase": apiBase, "requestsPerSecond": requestsPerSecond] }
}
