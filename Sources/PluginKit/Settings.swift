import Configuration

/// The platform's settings, read through swift-configuration from the process environment (or a
/// dictionary in tests). Keys are the variables' own names (`STRIPE_SECRET_KEY`); an empty
/// variable counts as unset. Every setting is listed in the README.
public struct Settings: Sendable {
    let reader: ConfigReader

    public init(environment: [String: String]) {
        reader = ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: environment.filter { !$0.value.isEmpty }))
    }

    /// The value, or nil when unset. `secret` keeps it out of swift-configuration's access reports.
    public func string(_ name: String, secret: Bool = false) -> String? {
        reader.string(forKey: ConfigKey(name), isSecret: secret)
    }

    /// Comma-separated values, trimmed; empty when unset.
    public func list(_ name: String, secret: Bool = false) -> [String] {
        (reader.stringArray(forKey: ConfigKey(name), isSecret: secret) ?? []).filter { !$0.isEmpty }
    }

    /// A URL without trailing slashes, or nil when unset.
    public func url(_ name: String) -> String? {
        guard var url = string(name) else { return nil }
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    /// The integer in `range`, or `defaultValue` when unset.
    /// - Throws: `ConfigError` naming the variable when it is set to anything else.
    public func integer(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>, _ rule: String? = nil) throws -> Int {
        guard string(name) != nil else { return defaultValue }
        guard let value = reader.int(forKey: ConfigKey(name)), range.contains(value) else {
            throw ConfigError("\(name) must be \(rule ?? "a whole number from \(range.lowerBound) to \(range.upperBound)")")
        }
        return value
    }

    /// true for `1`, `true`, `yes`; false for `0`, `false`, `no` (any case); nil when unset.
    /// - Throws: `ConfigError` for anything else.
    public func flag(_ name: String) throws -> Bool? {
        guard string(name) != nil else { return nil }
        guard let value = reader.bool(forKey: ConfigKey(name)) else { throw ConfigError("\(name) must be true or false") }
        return value
    }
}

/// A setting that cannot be used; the message names the variable and what it must be.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
