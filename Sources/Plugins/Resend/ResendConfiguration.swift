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

    /// nil, with the reason, when the plugin is not configured.
    public static func fromEnvironment(_ environment: [String: String]) throws -> (ResendConfiguration?, String?) {
        guard let key = environment["RESEND_API_KEY"], !key.isEmpty else { return (nil, "RESEND_API_KEY is not set") }
        var configuration = ResendConfiguration(apiKey: key)
        if let base = environment["RESEND_API_BASE"], !base.isEmpty {
            configuration.apiBase = base.hasSuffix("/") ? String(base.dropLast()) : base
        }
        if let text = environment["RESEND_RATE_LIMIT"], !text.isEmpty {
            guard let rate = Int(text), (1...1000).contains(rate) else {
                throw ResendConfigurationError("RESEND_RATE_LIMIT must be a whole number of requests a second from 1 to 1000")
            }
            configuration.requestsPerSecond = rate
        }
        return (configuration, nil)
    }
}

public struct ResendConfigurationError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
