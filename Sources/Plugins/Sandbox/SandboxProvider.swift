import Foundation
import HTTPTypes
import NIOCore
import NIOFoundationCompat
import PluginKit
import Synchronization

/// The offline payment provider, and the example to read first when writing a plugin.
///
/// Its checkout is a page this platform serves (`/sandbox/checkout/{session}`) with Pay, Decline
/// and Cancel buttons. Each button sends a signed webhook through the same verification and inbox
/// path as a real provider's. It needs no configuration: `SANDBOX_SECRET` fixes the signing secret,
/// which is otherwise random per process (open sandbox checkouts then end with a restart).
public struct SandboxProvider: PaymentProvider {
    public static let signatureHeader = HTTPField.Name("Sandbox-Signature")!

    public let id = "sandbox"
    public let displayName = "Sandbox (test payment, no money moves)"
    let secret: String
    let baseURL: String
    let host = HostBox()
    let payoutsSent = SentPayouts()

    public init(secret: String, baseURL: String) {
        self.secret = secret
        self.baseURL = baseURL
    }

    // MARK: Checkout and refunds

    public func createCheckout(_ request: CheckoutRequest) async throws -> CheckoutSession {
        let session = SandboxSession(
            orderID: request.orderID.rawValue, amount: request.total.minorUnits, currency: request.total.currency.code,
            title: request.eventTitle, successURL: request.successURL, cancelURL: request.cancelURL,
            expiresAt: request.expiresAt.milliseconds)
        let token = try session.sealed(secret: secret)
        return CheckoutSession(id: "sbx_cs_" + String(request.orderID.rawValue.dropFirst(4)), url: "\(baseURL)/sandbox/checkout/\(token)")
    }

    /// Always succeeds, and confirms with a `refund.succeeded` webhook as a real provider would.
    public func refund(_ request: RefundRequest) async throws -> RefundResult {
        let reference = "sbx_re_" + String(request.refundID.rawValue.dropFirst(4))
        try await deliver(SandboxEvent(
            id: "sbx_evt_" + reference, type: "refund.succeeded",
            data: .init(orderID: request.orderID.rawValue, amount: nil, currency: request.amount.currency.code, paymentID: request.paymentReference,
                        amountRefunded: request.totalRefundedAfter.minorUnits, refundID: reference)))
        return RefundResult(reference: reference)
    }

    // MARK: Webhooks

    public func verifyWebhook(body: ByteBuffer, headers: HTTPFields, now: Timestamp) async throws -> WebhookEnvelope {
        guard let header = headers[Self.signatureHeader] else { throw WebhookRejected("missing Sandbox-Signature header") }
        let bytes = Data(buffer: body)
        try TimestampedSignature.verify(header: header, body: bytes, secrets: [secret], now: now)
        guard let event = try? JSONDecoder().decode(SandboxEvent.self, from: bytes) else { throw WebhookRejected("body is not a sandbox event") }
        return WebhookEnvelope(eventID: event.id, eventType: event.type, payload: String(decoding: bytes, as: UTF8.self))
    }

    public var webhookHandlers: [String: WebhookHandler] {
        [
            "payment.succeeded": { envelope in
                let data = try SandboxEvent.data(of: envelope)
                guard let amount = data.amount, let currency = data.currency, let payment = data.paymentID else {
                    throw WebhookPayloadError("payment.succeeded without amount, currency or payment_id")
                }
                return .paid(order: try data.order(), amount: amount, currency: currency, paymentReference: payment)
            },
            "payment.failed": { envelope in .failed(order: try SandboxEvent.data(of: envelope).order(), reason: "declined in the sandbox") },
            "checkout.cancelled": { envelope in .cancelled(order: try SandboxEvent.data(of: envelope).order()) },
            "refund.succeeded": { envelope in
                let data = try SandboxEvent.data(of: envelope)
                guard let total = data.amountRefunded, let currency = data.currency else {
                    throw WebhookPayloadError("refund.succeeded without amount_refunded or currency")
                }
                // Naming the payment refunded, so a refund of a second charge is not taken for the order's own.
                if let payment = data.paymentID {
                    return .refundedPayment(paymentReference: payment, totalRefunded: total, currency: currency, refundReference: data.refundID)
                }
                return .refunded(order: try data.order(), totalRefunded: total, currency: currency, refundReference: data.refundID)
            },
        ]
    }

    public func install(routes: any PluginRoutes, host: any PaymentHost) {
        self.host.set(host)
        SandboxCheckoutPage(provider: self).register(on: routes)
    }

    /// Signs an event and hands it to the kernel's webhook ingress, exactly as an HTTP delivery would be.
    func deliver(_ event: SandboxEvent) async throws { try await deliver([event]) }

    /// Signs the events and hands them to the kernel's webhook ingress together.
    func deliver(_ events: [SandboxEvent]) async throws {
        guard let host = host.get() else { throw ProviderError.unavailable("the sandbox is not installed") }
        let timestamp = host.clock.now().milliseconds / 1000
        let deliveries = try events.map { event in
            let body = try JSONEncoder().encode(event)
            let header = TimestampedSignature.header(body: body, secret: secret, timestamp: timestamp)
            return WebhookDelivery(body: ByteBuffer(bytes: body), headers: [Self.signatureHeader: header])
        }
        try await host.deliverWebhooks(provider: id, deliveries)
    }
}

/// The kernel's host, known once the provider is installed.
final class HostBox: Sendable {
    private let value = Mutex<(any PaymentHost)?>(nil)
    func set(_ host: any PaymentHost) { value.withLock { $0 = host } }
    func get() -> (any PaymentHost)? { value.withLock { $0 } }
}

extension SandboxProvider: SecretHolding {
    public var publicFields: KeyValuePairs<String, Any> { ["baseURL": baseURL] }
}
