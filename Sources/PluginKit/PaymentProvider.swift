import HTTPTypes
import NIOCore

/// What the kernel asks a provider to sell: the lines as the buyer will see them at the provider.
public struct CheckoutRequest: Sendable {
    public struct Line: Sendable, Hashable {
        public let name: String
        public let unitPrice: Int64
        public let quantity: Int64

        public init(name: String, unitPrice: Int64, quantity: Int64) {
            self.name = name
            self.unitPrice = unitPrice
            self.quantity = quantity
        }
    }

    public let orderID: OrderID
    public let eventTitle: String
    public let lines: [Line]
    public let total: Money
    public let email: String
    public let successURL: String
    public let cancelURL: String
    public let expiresAt: Timestamp
    /// Stable for the order, so a retried request never opens a second session at the provider.
    public let idempotencyKey: String

    public init(orderID: OrderID, eventTitle: String, lines: [Line], total: Money, email: String, successURL: String,
                cancelURL: String, expiresAt: Timestamp, idempotencyKey: String) {
        self.orderID = orderID
        self.eventTitle = eventTitle
        self.lines = lines
        self.total = total
        self.email = email
        self.successURL = successURL
        self.cancelURL = cancelURL
        self.expiresAt = expiresAt
        self.idempotencyKey = idempotencyKey
    }
}

public struct CheckoutSession: Sendable, Hashable {
    public let id: String
    public let url: String
    public init(id: String, url: String) {
        self.id = id
        self.url = url
    }
}

public struct RefundRequest: Sendable {
    public let refundID: RefundID
    public let orderID: OrderID
    /// The provider's payment (charge, capture) and checkout session references the order holds.
    public let paymentReference: String?
    public let sessionReference: String?
    public let amount: Money
    /// What the order will have been refunded in all once this refund succeeds.
    public let totalRefundedAfter: Money
    public let reason: String?
    public let idempotencyKey: String

    public init(refundID: RefundID, orderID: OrderID, paymentReference: String?, sessionReference: String?, amount: Money,
                totalRefundedAfter: Money, reason: String?, idempotencyKey: String) {
        self.refundID = refundID
        self.orderID = orderID
        self.paymentReference = paymentReference
        self.sessionReference = sessionReference
        self.amount = amount
        self.totalRefundedAfter = totalRefundedAfter
        self.reason = reason
        self.idempotencyKey = idempotencyKey
    }
}

public struct RefundResult: Sendable, Hashable {
    public let reference: String
    public init(reference: String) { self.reference = reference }
}

/// What the kernel asks a provider that takes payments in two steps (approve, then capture) to take.
public struct CaptureRequest: Sendable, Hashable {
    public let orderID: OrderID
    /// The provider's checkout session the buyer approved (PayPal's order id), as `createCheckout` answered it.
    public let sessionReference: String
    /// The order's total: what the capture must take.
    public let amount: Money

    public init(orderID: OrderID, sessionReference: String, amount: Money) {
        self.orderID = orderID
        self.sessionReference = sessionReference
        self.amount = amount
    }
}

/// A verified webhook: the provider's event id and type, and the raw payload its handler reads.
public struct WebhookEnvelope: Sendable, Hashable {
    public let eventID: String
    public let eventType: String
    public let payload: String
    public init(eventID: String, eventType: String, payload: String) {
        self.eventID = eventID
        self.eventType = eventType
        self.payload = payload
    }
}

/// Turns one provider event into the kernel's command; it reads only the payload.
public typealias WebhookHandler = @Sendable (WebhookEnvelope) throws -> PaymentCommand

/// What refunds a provider can make, so the kernel refuses the others before asking it (the
/// way pretix's payment plugins declare `refunds_allowed` and `partial_refunds_allowed`).
public struct RefundCapabilities: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// The provider cannot refund through its API: money goes back outside the platform.
        case none
        /// Only everything that is left to refund, at once.
        case full
        /// Any amount up to what is left.
        case partial
    }

    public let kind: Kind
    /// Days after the payment within which the provider still refunds; nil for no limit.
    public let timeLimitDays: Int?

    public init(_ kind: Kind, timeLimitDays: Int? = nil) {
        self.kind = kind
        self.timeLimitDays = timeLimitDays
    }

    public static let partial = RefundCapabilities(.partial)
}

/// A payment provider plugin. Only `PlatformServer` chooses concrete providers; the kernel knows
/// them through this protocol alone.
public protocol PaymentProvider: Sendable {
    /// The name in `/webhooks/{id}` and in an order's `provider` field: "sandbox", "stripe".
    var id: String { get }
    /// How the checkout page names the payment method: "Card (Stripe)", "PayPal".
    var displayName: String { get }
    /// The shortest checkout the provider allows; reservations are lengthened to match.
    var minimumCheckoutMinutes: Int { get }
    /// What refunds the provider makes; the kernel refuses others with a clear error.
    var refundCapabilities: RefundCapabilities { get }
    func createCheckout(_ request: CheckoutRequest) async throws -> CheckoutSession
    func refund(_ request: RefundRequest) async throws -> RefundResult
    /// Checks the signature over the raw bytes as received; throws `WebhookRejected` when it fails.
    /// Asynchronous, so that a provider may fetch and cache what it verifies with (a certificate).
    func verifyWebhook(body: ByteBuffer, headers: HTTPFields, now: Timestamp) async throws -> WebhookEnvelope
    /// The strategy map: the provider's event type to the handler that turns it into a command.
    var webhookHandlers: [String: WebhookHandler] { get }
    /// Lets a provider serve pages of its own (the Sandbox checkout page) and deliver webhooks.
    func install(routes: any PluginRoutes, host: any PaymentHost)
    /// Why the provider cannot take `total` (of lines at `unitPrices`) as one payment (below its
    /// minimum charge, a fraction it cannot express, a currency it does not take), or nil. Asked
    /// before any seat is taken; the buyer gets 422 with the reason.
    func refusal(of total: Money, unitPrices: [Money]) -> String?
    /// Takes an approved payment (see `PaymentCommand.approved`) and says what it came to: `.paid`,
    /// `.failed` (declined; the order's seats go back), or `.acknowledge` while the provider still
    /// decides (a pending capture, settled later by its own event). Capturing twice takes the money once.
    /// - Throws: `ProviderError`; the kernel tries again later.
    func capture(_ request: CaptureRequest) async throws -> PaymentCommand
}

extension PaymentProvider {
    public var displayName: String { id.prefix(1).uppercased() + id.dropFirst() }
    public var minimumCheckoutMinutes: Int { 0 }
    public var refundCapabilities: RefundCapabilities { .partial }
    public func install(routes: any PluginRoutes, host: any PaymentHost) {}
    public func refusal(of total: Money, unitPrices: [Money]) -> String? { nil }
    public func capture(_ request: CaptureRequest) async throws -> PaymentCommand {
        throw ProviderError.invalidRequest("\(id) takes payments at checkout: there is nothing to capture")
    }
}

/// What the kernel offers a provider it installs.
public protocol PaymentHost: Sendable {
    var baseURL: String { get }
    var clock: any WallClock { get }
    /// Hands a webhook to the same verification and inbox path as `POST /webhooks/{provider}`.
    func deliverWebhook(provider: String, body: ByteBuffer, headers: HTTPFields) async throws
    /// Hands several webhooks to the same path at once: each is verified, then all are stored in
    /// one transaction (one commit, where one each would cost a commit each). Nothing is stored when
    /// one fails verification. Throws what `deliverWebhook` throws.
    func deliverWebhooks(provider: String, _ deliveries: [WebhookDelivery]) async throws
    /// Captures the approved payment of `order` now (the buyer came back from the provider's page)
    /// and applies what the capture answers, as the kernel does for `PaymentCommand.approved`, and
    /// returns that answer; nil when nothing was captured because the order of this provider and
    /// `session` no longer waits for payment with its seats held.
    /// - Throws: `ProviderError` from the capture (the provider's approval event tries again later),
    ///   `PageProblem` (404) when the order is not this provider's or was checked out with another session.
    @discardableResult
    func capture(provider: String, order: OrderID, session: String) async throws -> PaymentCommand?
}

/// A webhook as it arrives: its raw body and its headers.
public struct WebhookDelivery: Sendable {
    public let body: ByteBuffer
    public let headers: HTTPFields

    public init(body: ByteBuffer, headers: HTTPFields) {
        self.body = body
        self.headers = headers
    }
}
