import PluginKit

/// The payment providers this process offers, by id; only `PlatformServer` chooses them.
package struct PaymentProviders: Sendable {
    private let providers: [String: any PaymentProvider]

    package init(_ providers: [any PaymentProvider] = []) {
        self.providers = Dictionary(providers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    package func provider(_ id: String) -> (any PaymentProvider)? { providers[id] }
    package var ids: [String] { providers.keys.sorted() }
    package var all: [any PaymentProvider] { ids.compactMap { providers[$0] } }
}

extension PaymentProvider {
    /// What handles an event type: the payment handler, else, for a provider that also sends
    /// payouts, the payout handler; nil for an event the platform ignores.
    package func handler(for eventType: String) -> WebhookHandler? {
        webhookHandlers[eventType] ?? (self as? any PayoutProvider)?.payoutWebhookHandlers[eventType]
    }
}

extension PaymentProviders {
    /// The enabled provider of this id, when it also sends payouts.
    package func payoutProvider(_ id: String) -> (any PayoutProvider)? { provider(id) as? any PayoutProvider }
    package var payoutProviders: [any PayoutProvider] { all.compactMap { $0 as? any PayoutProvider } }
}
