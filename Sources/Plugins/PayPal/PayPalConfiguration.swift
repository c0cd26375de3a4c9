import PluginKit

/// The PayPal plugin's settings, read from the environment. Without `PAYPAL_CLIENT_ID`,
/// `PAYPAL_CLIENT_SECRET` and `PAYPAL_WEBHOOK_ID` the plugin is off.
public struct PayPalConfiguration: Sendable {
    public enum WebhookVerification: String, Sendable {
        /// Checked here, with the certificate at `PAYPAL-CERT-URL` (the default).
        case offline
        /// Asked of PayPal's verify-webhook-signature API.
        case api
    }

    public var clientID: String
    public var clientSecret: String
    /// The id PayPal gave the webhook registered for this platform; part of every signed message.
    public var webhookID: String
    /// The live API; the sandbox's is `https://api-m.sandbox.paypal.com`.
    public var apiBase = "https://api-m.paypal.com"
    public var webhookVerification = WebhookVerification.offline
    /// Seconds a transmission may be old when it arrives.
    public var webhookTolerance: Int64 = 600
    /// Accepts deliveries signed for the simulator's webhook id `WEBHOOK_ID` (testing an integration only).
    public var acceptSimulator = false
    /// The PEM file of the roots a signing certificate must chain to: the system's public roots
    /// by default (PayPal's certificates are DigiCert's), narrowed by the `.paypal.com` subject check.
    public var trustAnchorsFile = "/etc/ssl/certs/ca-certificates.crt"
    /// Each request's deadline.
    public var requestTimeout: Duration = .seconds(10)
    /// Retries of a 429, 5xx or network failure, under the same `PayPal-Request-Id`.
    public var maxRetries = 2
    public var retryBaseDelay: Duration = .milliseconds(500)
    /// Most items in one `POST /v1/payments/payouts` (PayPal takes at most 15,000).
    public var payoutBatchLimit = 15_000
    /// Most payout calls a minute (PayPal allows 400).
    public var payoutCallsPerMinute = 400

    public init(clientID: String, clientSecret: String, webhookID: String) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.webhookID = webhookID
    }

    /// From `PAYPAL_CLIENT_ID`, `PAYPAL_CLIENT_SECRET`, `PAYPAL_WEBHOOK_ID`, `PAYPAL_API_BASE`,
    /// `PAYPAL_WEBHOOK_VERIFY` (`offline` or `api`), `PAYPAL_WEBHOOK_TOLERANCE` (seconds, 60 to 86400),
    /// `PAYPAL_ACCEPT_SIMULATOR`, `PAYPAL_TRUST_ANCHORS`, `PAYPAL_PAYOUT_BATCH_LIMIT` (1 to 15000) and
    /// `PAYPAL_PAYOUT_CALLS_PER_MINUTE` (1 to 400); disabled, with the reason, while any of
    /// the first three is unset.
    /// - Throws: `ConfigError` naming a setting that is set but cannot be used.
    public static func from(_ settings: Settings) throws -> PluginSetup<PayPalConfiguration> {
        guard let id = settings.string("PAYPAL_CLIENT_ID") else { return .disabled(reason: "PAYPAL_CLIENT_ID is not set") }
        guard let secret = settings.string("PAYPAL_CLIENT_SECRET", secret: true) else { return .disabled(reason: "PAYPAL_CLIENT_SECRET is not set") }
        guard let webhook = settings.string("PAYPAL_WEBHOOK_ID") else { return .disabled(reason: "PAYPAL_WEBHOOK_ID is not set") }
        var configuration = PayPalConfiguration(clientID: id, clientSecret: secret, webhookID: webhook)
        if let base = settings.url("PAYPAL_API_BASE") { configuration.apiBase = base }
        if let text = settings.string("PAYPAL_WEBHOOK_VERIFY") {
            guard let mode = WebhookVerification(rawValue: text.lowercased()) else { throw ConfigError("PAYPAL_WEBHOOK_VERIFY must be offline or api") }
            configuration.webhookVerification = mode
        }
        configuration.webhookTolerance = Int64(try settings.integer("PAYPAL_WEBHOOK_TOLERANCE", default: 600, in: 60...86_400,
                                                                     "seconds from 60 to 86400"))
        configuration.acceptSimulator = try settings.flag("PAYPAL_ACCEPT_SIMULATOR") ?? false
        if let anchors = settings.string("PAYPAL_TRUST_ANCHORS") { configuration.trustAnchorsFile = anchors }
        configuration.payoutBatchLimit = try settings.integer("PAYPAL_PAYOUT_BATCH_LIMIT", default: 15_000, in: 1...15_000, "from 1 to 15000")
        configuration.payoutCallsPerMinute = try settings.integer("PAYPAL_PAYOUT_CALLS_PER_MINUTE", default: 400, in: 1...400, "from 1 to 400")
        return .enabled(configuration)
    }
}

/// Sets up PayPal checkout, webhooks, refunds and payouts from the settings.
public enum PayPalPlugin: PaymentPlugin {
    public static let name = "paypal"

    /// - Throws: `ConfigError` for an unusable setting, or trust anchors that cannot be read.
    public static func setUp(_ context: PluginContext) throws -> PluginSetup<any PaymentProvider> {
        try PayPalConfiguration.from(context.settings).map { configuration in
            // Offline verification needs the roots; the API mode leaves the check to PayPal.
            let anchors = configuration.webhookVerification == .offline ? try PayPalCertificates.anchors(fromPEMFile: configuration.trustAnchorsFile) : []
            return PayPalProvider(configuration: configuration, baseURL: context.baseURL,
                                  certificates: PayPalCertificates(fetcher: PayPalHTTPSFetcher(), anchors: anchors), logger: context.logger)
        }
    }
}

extension PayPalConfiguration: SecretHolding {
    public var publicFields: KeyValuePairs<String, Any> { ["apiBase": apiBase, "webhookVerification": webhookVerification] }
}
