import PluginKit

/// The Stripe plugin's settings, read from the environment. Without `STRIPE_SECRET_KEY` and
/// `STRIPE_WEBHOOK_SECRET` the plugin is off.
public struct StripeConfiguration: Sendable {
    public var secretKey: String
    /// Every secret a webhook may be signed with; several while one is rotated.
    public var webhookSecrets: [String]
    public var apiBase = "https://api.stripe.com"
    /// Pinned so that Stripe's answers keep the shape this plugin reads.
    public var apiVersion = "2024-06-20"
    /// Each attempt's deadline (connecting included: a refused connection is retried until then).
    public var requestTimeout: Duration = .seconds(8)
    /// Retries of a 409, 429, 5xx or network failure, with the same idempotency key; with the
    /// timeout this bounds how long a buyer can wait on a checkout when Stripe is down (about 25 s).
    public var maxRetries = 2
    public var retryBaseDelay: Duration = .milliseconds(500)
    /// Seconds a webhook's timestamp may differ from now.
    public var webhookTolerance: Int64 = 300

    public init(secretKey: String, webhookSecrets: [String]) {
        self.secretKey = secretKey
        self.webhookSecrets = webhookSecrets
    }

    /// From `STRIPE_SECRET_KEY`, `STRIPE_WEBHOOK_SECRET` (several, comma-separated, while one is
    /// rotated) and `STRIPE_API_BASE`; disabled, with the reason, while either of the first two is unset.
    public static func from(_ settings: Settings) -> PluginSetup<StripeConfiguration> {
        guard let key = settings.string("STRIPE_SECRET_KEY", secret: true) else { return .disabled(reason: "STRIPE_SECRET_KEY is not set") }
        let secrets = settings.list("STRIPE_WEBHOOK_SECRET", secret: true)
        guard !secrets.isEmpty else { return .disabled(reason: "STRIPE_WEBHOOK_SECRET is not set") }
        var configuration = StripeConfiguration(secretKey: key, webhookSecrets: secrets)
        if let base = settings.url("STRIPE_API_BASE") { configuration.apiBase = base }
        return .enabled(configuration)
    }
}

/// Sets up Stripe Checkout, webhooks and refunds from the settings.
public enum StripePlugin: PaymentPlugin {
    public static let name = "stripe"

    public static func setUp(_ context: PluginContext) throws -> PluginSetup<any PaymentProvider> {
        StripeConfiguration.from(context.settings).map { StripeProvider(configuration: $0, logger: context.logger) }
    }
}

extension StripeConfiguration: SecretHolding {
    public var publicFields: KeyValuePairs<String, Any> { ["apiBase": apiBase, "apiVersion": apiVersion] }
}
