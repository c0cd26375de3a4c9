/// A value that holds secrets (API keys, signing secrets) and describes itself by its type and
/// the fields safe to show. Anything that prints it (a service list logged at start-up, an error,
/// `dump`) sees `StripeConfiguration(apiBase: …, secrets redacted)`, never a secret.
public protocol SecretHolding: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The fields safe to print, in order.
    var publicFields: KeyValuePairs<String, Any> { get }
}

extension SecretHolding {
    public var description: String {
        "\(Self.self)(" + publicFields.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ", secrets redacted)"
    }

    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: publicFields) }
}
