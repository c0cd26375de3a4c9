import AsyncHTTPClient
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOFoundationCompat
import PluginKit

/// PayPal Orders v2 checkout (approve, then capture), verified webhooks, refunds and payouts.
public struct PayPalProvider: PaymentProvider {
    public let id = "paypal"
    public let displayName = "PayPal"
    /// PayPal refunds a capture for 180 days (its refund API answers `TRANSACTION_REFUSED` after that).
    public var refundCapabilities: RefundCapabilities { RefundCapabilities(.partial, timeLimitDays: 180) }

    let configuration: PayPalConfiguration
    let client: PayPalClient
    let verifier: PayPalWebhookVerifier
    let returns: PayPalReturnLinks
    let pacer: PayPalPacer
    let logger: Logger

    /// - Parameters:
    ///   - baseURL: where people reach the platform; the buyer comes back to `{baseURL}/paypal/return`.
    ///   - certificates: the signing certificates' source and trust anchors (tests give a test CA).
    public init(configuration: PayPalConfiguration, baseURL: String, certificates: PayPalCertificates, http: HTTPClient = .shared,
                clock: any WallClock = SystemClock(), logger: Logger = Logger(label: "paypal")) {
        self.configuration = configuration
        client = PayPalClient(configuration: configuration, http: http,
                              tokens: PayPalTokens(configuration: configuration, http: http, clock: clock))
        verifier = PayPalWebhookVerifier(webhookID: configuration.webhookID, certificates: certificates,
                                         tolerance: configuration.webhookTolerance, acceptSimulator: configuration.acceptSimulator)
        returns = PayPalReturnLinks(baseURL: baseURL, secret: configuration.clientSecret)
        pacer = PayPalPacer(callsPerMinute: configuration.payoutCallsPerMinute)
        self.logger = logger
    }

    public func createCheckout(_ request: CheckoutRequest) async throws -> CheckoutSession {
        let body = try PayPalOrderRequest(request, returnURL: returns.url(order: request.orderID, next: request.successURL),
                                      cancelURL: request.cancelURL)
        let (status, data) = try await client.send(.POST, "/v2/checkout/orders", json: try JSONCoding.encoder.encode(body),
                                                   requestID: PayPalOrderRequest.requestID(request))
        guard (200..<300).contains(status) else { throw PayPalClient.classify(status: status, body: data) }
        guard let order = try? JSONCoding.decoder.decode(PayPalResources.Order.self, from: data), let url = order.approvalURL else {
            throw ProviderError.providerError("PayPal created an order without an approval link")
        }
        return CheckoutSession(id: order.id, url: url)
    }

    /// Captures with a `PayPal-Request-Id` per order, so the buyer's return and the approval event
    /// capturing at once are answered with one capture; a capture made under another id is
    /// answered `ORDER_ALREADY_CAPTURED`, and the order is read again.
    public func capture(_ request: CaptureRequest) async throws -> PaymentCommand {
        let session = request.sessionReference
        guard PayPalResources.pathSafe(session) else { throw ProviderError.invalidRequest("'\(session)' is not a PayPal order id") }
        let (status, data) = try await client.send(.POST, "/v2/checkout/orders/\(session)/capture", json: Data("{}".utf8),
                                                   requestID: "capture-\(request.orderID)")
        var body = data
        if !(200..<300).contains(status) {
            switch PayPalClient.issue(of: data) {
            case "ORDER_ALREADY_CAPTURED":
                let (again, reloaded) = try await client.send(.GET, "/v2/checkout/orders/\(session)")
                guard again == 200 else { throw PayPalClient.classify(status: again, body: reloaded) }
                body = reloaded
            case "ORDER_NOT_APPROVED", "PAYER_ACTION_REQUIRED":
                // Not approved (yet, or again after PayPal asked the buyer for more): the approval
                // event captures when it comes; until then the order waits for its reservation.
                return .acknowledge
            case "INSTRUMENT_DECLINED", "TRANSACTION_REFUSED", "PAYER_CANNOT_PAY":
                return .failed(order: request.orderID, reason: "PayPal declined the payment (\(PayPalClient.issue(of: data) ?? ""))")
            default:
                throw PayPalClient.classify(status: status, body: data)
            }
        }
        guard let order = try? JSONCoding.decoder.decode(PayPalResources.Order.self, from: body) else {
            throw ProviderError.providerError("PayPal answered the capture with an unreadable order")
        }
        guard let capture = order.capture else {
            throw ProviderError.providerError("PayPal order \(session) is \(order.status ?? "unknown") without a capture")
        }
        return try capture.command(for: request.orderID)
    }

    public func refund(_ request: RefundRequest) async throws -> RefundResult {
        guard let capture = request.paymentReference, PayPalResources.pathSafe(capture) else {
            throw ProviderError.invalidRequest("the order has no PayPal capture to refund")
        }
        struct Body: Encodable {
            struct Amount: Encodable { let value: String, currencyCode: String }
            let amount: Amount
            let customId: String
            let noteToPayer: String?
        }
        let body = Body(amount: .init(value: try request.amount.payPalValue(), currencyCode: request.amount.currency.code),
                        customId: request.orderID.rawValue, noteToPayer: request.reason.map { String($0.prefix(255)) })
        let (status, data) = try await client.send(.POST, "/v2/payments/captures/\(capture)/refund", json: try JSONCoding.encoder.encode(body),
                                                   requestID: request.idempotencyKey)
        guard (200..<300).contains(status) else { throw PayPalClient.classify(status: status, body: data) }
        guard let refund = try? JSONCoding.decoder.decode(PayPalResources.Refund.self, from: data) else {
            throw ProviderError.providerError("PayPal answered the refund with an unreadable body")
        }
        if refund.status == "CANCELLED" || refund.status == "FAILED" {
            throw ProviderError.declined("PayPal refused the refund (\(refund.status ?? ""))")
        }
        return RefundResult(reference: refund.id)
    }

    public func verifyWebhook(body: ByteBuffer, headers: HTTPFields, now: Timestamp) async throws -> WebhookEnvelope {
        let bytes = Data(buffer: body)
        // Read first (nothing is trusted yet): the API mode passes the body on inside a JSON
        // request, so it must be exactly one JSON object.
        struct Envelope: Decodable { let id: String, eventType: String }
        guard let envelope = try? JSONCoding.decoder.decode(Envelope.self, from: bytes),
              (try? JSONSerialization.jsonObject(with: bytes)) is [String: Any] else {
            throw WebhookRejected("body is not a PayPal event")
        }
        switch configuration.webhookVerification {
        case .offline:
            try await verifier.verify(body: bytes, headers: headers, now: now)
        case .api:
            try await verifier.verify(headers: headers, now: now) { try await client.verifiedByPayPal($0, event: bytes, webhookID: configuration.webhookID) }
        }
        return WebhookEnvelope(eventID: envelope.id, eventType: envelope.eventType, payload: String(decoding: bytes, as: UTF8.self))
    }

    public var webhookHandlers: [String: WebhookHandler] { PayPalWebhooks.handlers }

    /// The currencies PayPal takes payments in (PayPal's REST API reference, "Currency codes").
    static let currencies: Set<String> = ["AUD", "BRL", "CAD", "CNY", "CZK", "DKK", "EUR", "HKD", "HUF", "ILS", "JPY", "MYR", "MXN", "TWD",
                                          "NZD", "NOK", "PHP", "PLN", "GBP", "SGD", "SEK", "CHF", "THB", "USD"]

    public func refusal(of total: Money, unitPrices: [Money]) -> String? {
        guard Self.currencies.contains(total.currency.code) else { return "PayPal does not take payments in \(total.currency.code)" }
        guard (try? total.payPalValue()) != nil else { return "PayPal takes \(total.currency.code) in whole units only, not \(total)" }
        return nil
    }

    public func install(routes: any PluginRoutes, host: any PaymentHost) {
        PayPalReturnPage(links: returns, provider: id, host: host, logger: logger, approvalLink: approvalLink).register(on: routes)
    }

    /// Where the buyer of PayPal order `id` must go again when PayPal still waits for them
    /// (`CREATED`, or `PAYER_ACTION_REQUIRED` after it asked for more); nil otherwise or when
    /// PayPal cannot be asked.
    func approvalLink(_ id: String) async -> String? {
        guard PayPalResources.pathSafe(id), let (status, data) = try? await client.send(.GET, "/v2/checkout/orders/\(id)"), status == 200,
              let order = try? JSONCoding.decoder.decode(PayPalResources.Order.self, from: data),
              ["CREATED", "PAYER_ACTION_REQUIRED"].contains(order.status ?? "") else { return nil }
        return order.approvalURL
    }
}
