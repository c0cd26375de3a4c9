/// What a provider event means for an order. Handlers produce these; the kernel applies them in one
/// transaction, and applying one twice changes nothing the second time.
public enum PaymentCommand: Sendable, Hashable {
    /// The provider took this amount (minor units, ISO currency code) for the order.
    case paid(order: OrderID, amount: Int64, currency: String, paymentReference: String)
    case failed(order: OrderID, reason: String)
    case cancelled(order: OrderID)
    /// The provider's checkout session ran out.
    case expired(order: OrderID)
    /// The order has now been refunded `totalRefunded` in all (not just this refund).
    case refunded(order: OrderID, totalRefunded: Int64, currency: String, refundReference: String?)
    case disputed(order: OrderID, reason: String)
    /// As `.refunded`, for providers whose refund events name the payment rather than the order.
    case refundedPayment(paymentReference: String, totalRefunded: Int64, currency: String, refundReference: String?)
    /// As `.disputed`, naming the payment.
    case disputedPayment(paymentReference: String, reason: String)
    /// A known event that needs no change (e.g. a session completed without payment yet).
    case acknowledge
}

/// The shared vocabulary of provider failures; the HTTP layer gives each one status.
public enum ProviderError: Error, Sendable, Hashable, CustomStringConvertible {
    case declined(String)
    case rateLimited(String)
    case unavailable(String)
    case providerError(String)
    case invalidRequest(String)
    case conflict(String)

    public var description: String {
        switch self {
        case let .declined(m): "declined: \(m)"
        case let .rateLimited(m): "rate limited: \(m)"
        case let .unavailable(m): "unavailable: \(m)"
        case let .providerError(m): "provider error: \(m)"
        case let .invalidRequest(m): "invalid request: \(m)"
        case let .conflict(m): "conflict: \(m)"
        }
    }
}

/// A webhook whose signature, timestamp or envelope does not verify: answered 400, never stored.
public struct WebhookRejected: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ reason: String) { description = reason }
}

/// A verified payload its handler cannot use (no order id, wrong shape): retrying cannot help.
public struct WebhookPayloadError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ reason: String) { description = reason }
}
