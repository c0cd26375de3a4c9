import AsyncHTTPClient
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOFoundationCompat
import PluginKit

/// Stripe Checkout, webhooks and refunds.
public struct StripeProvider: PaymentProvider {
    public let id = "stripe"
    public let displayName = "Card (Stripe)"
    /// Stripe does not let a Checkout Session expire sooner than 30 minutes after it is created, and
    /// it creates the session after the order: a reservation of exactly 30 minutes was refused
    /// whenever the call (its retries included) crossed a second. One more minute covers the call.
    public let minimumCheckoutMinutes = 31

    let configuration: StripeConfiguration
    let client: StripeClient

    public init(configuration: StripeConfiguration, http: HTTPClient = .shared, logger: Logger = Logger(label: "stripe")) {
        self.configuration = configuration
        self.client = StripeClient(configuration: configuration, http: http, logger: logger)
    }

    struct Session: Decodable {
        let id: String
        let url: String?
    }

    struct Refund: Decodable {
        let id: String
        let status: String?
    }

    public func createCheckout(_ request: CheckoutRequest) async throws -> CheckoutSession {
        var form = FormParameters()
        form.add("mode", "payment")
        for (index, line) in request.lines.enumerated() {
            let prefix = "line_items[\(index)]"
            form.add("\(prefix)[price_data][currency]", request.total.currency.code.lowercased())
            form.add("\(prefix)[price_data][unit_amount]", try StripeAmounts.stripeUnits(Money(minorUnits: line.unitPrice, currency: request.total.currency)))
            form.add("\(prefix)[price_data][product_data][name]", "\(request.eventTitle): \(line.name)")
            form.add("\(prefix)[quantity]", line.quantity)
        }
        form.add("success_url", request.successURL)
        form.add("cancel_url", request.cancelURL)
        form.add("client_reference_id", request.orderID.rawValue)
        form.add("metadata[order_id]", request.orderID.rawValue)
        form.add("payment_intent_data[metadata][order_id]", request.orderID.rawValue)
        form.add("customer_email", request.email)
        form.add("expires_at", request.expiresAt.milliseconds / 1000)
        let session = try await client.post("/v1/checkout/sessions", form, idempotencyKey: request.idempotencyKey, as: Session.self)
        guard let url = session.url else { throw ProviderError.providerError("Stripe opened a Checkout Session without a URL") }
        return CheckoutSession(id: session.id, url: url)
    }

    public func refund(_ request: RefundRequest) async throws -> RefundResult {
        guard let paymentIntent = request.paymentReference else {
            throw ProviderError.invalidRequest("the order has no Stripe payment to refund")
        }
        var form = FormParameters()
        form.add("payment_intent", paymentIntent)
        form.add("amount", try StripeAmounts.stripeUnits(request.amount))
        form.add("reason", "requested_by_customer")
        form.add("metadata[order_id]", request.orderID.rawValue)
        form.add("metadata[refund_id]", request.refundID.rawValue)
        form.add("metadata[note]", request.reason.map { String($0.prefix(500)) })
        let refund = try await client.post("/v1/refunds", form, idempotencyKey: request.idempotencyKey, as: Refund.self)
        if refund.status == "failed" || refund.status == "canceled" {
            throw ProviderError.declined("Stripe refused the refund (\(refund.status ?? ""))")
        }
        return RefundResult(reference: refund.id)
    }

    public func verifyWebhook(body: ByteBuffer, headers: HTTPFields, now: Timestamp) async throws -> WebhookEnvelope {
        guard let header = headers[StripeWebhooks.signatureHeader] else { throw WebhookRejected("missing Stripe-Signature header") }
        let bytes = Data(buffer: body)
        try TimestampedSignature.verify(header: header, body: bytes, secrets: configuration.webhookSecrets, now: now,
                                        tolerance: configuration.webhookTolerance)
        guard let envelope = try? JSONDecoder().decode(StripeWebhooks.Envelope.self, from: bytes), envelope.object == "event" else {
            throw WebhookRejected("body is not a Stripe event")
        }
        return WebhookEnvelope(eventID: envelope.id, eventType: envelope.type, payload: String(decoding: bytes, as: UTF8.self))
    }

    public var webhookHandlers: [String: WebhookHandler] { StripeWebhooks.handlers }

    public func refusal(of total: Money, unitPrices: [Money]) -> String? { StripeAmounts.refusal(of: total, unitPrices: unitPrices) }
}
