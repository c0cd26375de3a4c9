import PluginKit

/// The payment providers this process offers, filled by `PlatformServer` alone.
public struct PluginRegistry: Sendable {
    private let providers: [String: any PaymentProvider]

    public init(_ providers: [any PaymentProvider] = []) {
        self.providers = Dictionary(providers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func provider(_ id: String) -> (any PaymentProvider)? { providers[id] }
    public var ids: [String] { providers.keys.sorted() }
    public var all: [any PaymentProvider] { ids.compactMap { providers[$0] } }
}
