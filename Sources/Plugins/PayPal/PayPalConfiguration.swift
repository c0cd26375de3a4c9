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

    public init(clientID: String, clientSecret: String, webhookID: String) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.webhookID = webhookID
    }

    /// From `PAYPAL_CLIENT_ID`, `PAYPAL_CLIENT_SECRET`, `PAYPAL_WEBHOOK_ID`, `PAYPAL_API_BASE`,
    /// `PAYPAL_WEBHOOK_VERIFY` (`offline` or `api`), `PAYPAL_WEBHOOK_TOLERANCE` (seconds, 60 to 86400),
    /// `PAYPAL_ACCEPT_SIMULATOR` and `PAYPAL_TRUST_ANCHORS`; disabled, with the reason, while any of
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
        return .enabled(configuration)
    }
}
