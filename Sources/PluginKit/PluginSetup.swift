import Logging

/// What setting a plugin up decided: on, with what it provides, or off with the reason, which the
/// assembly logs once at start-up.
public enum PluginSetup<Provided: Sendable>: Sendable {
    case enabled(Provided)
    case disabled(reason: String)

    public func map<Other: Sendable>(_ transform: (Provided) throws -> Other) rethrows -> PluginSetup<Other> {
        switch self {
        case let .enabled(provided): .enabled(try transform(provided))
        case let .disabled(reason): .disabled(reason: reason)
        }
    }

    public var enabled: Provided? {
        if case let .enabled(provided) = self { return provided }
        return nil
    }

    public var disabledReason: String? {
        if case let .disabled(reason) = self { return reason }
        return nil
    }
}

/// What a plugin is set up from.
public struct PluginContext: Sendable {
    public let settings: Settings
    /// Where people reach the platform; links to a plugin's pages start with it.
    public let baseURL: String
    public let logger: Logger
    /// The ids of the payment providers set up before this one (the Sandbox stays off beside a real one).
    public let paymentProviders: [String]

    public init(settings: Settings, baseURL: String, logger: Logger, paymentProviders: [String] = []) {
        self.settings = settings
        self.baseURL = baseURL
        self.logger = logger
        self.paymentProviders = paymentProviders
    }
}

/// A plugin that takes payments. The assembly sets each one up in turn from the settings.
/// - Throws: `ConfigError` when a setting is present but unusable (start-up stops with it).
public protocol PaymentPlugin: Sendable {
    /// The plugin's name in logs ("stripe").
    static var name: String { get }
    static func setUp(_ context: PluginContext) throws -> PluginSetup<any PaymentProvider>
}

/// A plugin that sends email. The first one enabled sends the outbox; without any, mail goes to files.
/// - Throws: `ConfigError` when a setting is present but unusable.
public protocol MailerPlugin: Sendable {
    static var name: String { get }
    static func setUp(_ context: PluginContext) throws -> PluginSetup<any Mailer>
}
