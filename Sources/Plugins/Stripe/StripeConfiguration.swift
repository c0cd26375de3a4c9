import Foundation

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

    /// nil, with the reason, when the plugin is not configured.
    public static func fromEnvironment(_ environment: [String: String]) -> (StripeConfiguration?, String?) {
        guard let key = environment["STRIPE_SECRET_KEY"], !key.isEmpty else { return (nil, "STRIPE_SECRET_KEY is not set") }
        let secrets = (environment["STRIPE_WEBHOOK_SECRET"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard !secrets.isEmpty else { return (nil, "STRIPE_WEBHOOK_SECRET is not set") }
        var configuration = StripeConfiguration(secretKey: key, webhookSecrets: secrets)
        if let base = environment["STRIPE_API_BASE"], !base.isEmpty {
            configuration.apiBase = base.hasSuffix("/") ? String(base.dropLast()) : base
        }
        return (configuration, nil)
    }
}
