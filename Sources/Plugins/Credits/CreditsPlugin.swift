import HTTPTypes
import NIOCore
import PluginKit

/// Sets buyer credit up as a way to pay: on unless `CREDITS_ENABLED=false`. Set up after the other
/// providers, as it is no reason to turn the Sandbox off.
public enum CreditsPlugin: PaymentPlugin {
    public static let name = "credits"

    public static func setUp(_ context: PluginContext) throws -> PluginSetup<any PaymentProvider> {
        guard try context.settings.flag("CREDITS_ENABLED") ?? true else { return .disabled(reason: "CREDITS_ENABLED is false") }
        return .enabled(CreditsProvider())
    }
}

/// Buyer credit as a payment provider. The money never leaves the platform: the kernel takes it
/// from the buyer's wallet in the transaction that reserves the order's seats (the order is paid
/// there and then), holds the credit part of an order split with another provider until that one
/// confirms, and gives credit back on refunds at once. So this provider opens no checkout, makes no
/// refund call and receives no webhooks; it names the way to pay (`provider: "credits"`, the id the
/// kernel's wallet answers to) and makes it possible to switch it off.
public struct CreditsProvider: PaymentProvider {
    public let id = "credits"
    public let displayName = "Credit (your wallet)"

    public init() {}

    public func createCheckout(_ request: CheckoutRequest) async throws -> CheckoutSession {
        throw ProviderError.invalidRequest("credit is taken at checkout by the platform: it opens no provider page")
    }

    public func refund(_ request: RefundRequest) async throws -> RefundResult {
        throw ProviderError.invalidRequest("credit goes back to the wallet by the platform, at once: there is no provider to ask")
    }

    public func verifyWebhook(body: ByteBuffer, headers: HTTPFields, now: Timestamp) async throws -> WebhookEnvelope {
        throw WebhookRejected("buyer credit sends no webhooks")
    }

    public var webhookHandlers: [String: WebhookHandler] { [:] }
}
