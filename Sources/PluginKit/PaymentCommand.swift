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
    /// A buyer's bank opened a chargeback: the provider withdrew `dispute.amount` until it is decided.
    case disputed(order: OrderID, dispute: ProviderDispute)
    /// The dispute was decided: won gives the money back, lost keeps it with the buyer.
    case disputeClosed(order: OrderID, dispute: ProviderDispute, outcome: DisputeOutcome)
    /// As `.refunded`, for providers whose refund events name the payment rather than the order.
    case refundedPayment(paymentReference: String, totalRefunded: Int64, currency: String, refundReference: String?)
    /// As `.disputed`, naming the payment.
    case disputedPayment(paymentReference: String, dispute: ProviderDispute)
    /// As `.disputeClosed`, naming the payment.
    case disputeClosedPayment(paymentReference: String, dispute: ProviderDispute, outcome: DisputeOutcome)
    /// The provider confirmed the payout (`payout` is the platform's id) reached the organizer.
    case payoutSettled(payout: String, reference: String?)
    /// The payout did not reach the organizer: its money goes back to the organizer's available balance.
    case payoutFailed(payout: String, reason: String)
    /// A settled payout came back (Stripe's `transfer.reversed`, PayPal's RETURNED): as failed, after settling.
    case payoutReturned(payout: String, reason: String)
    /// The provider refused a whole batch (PayPal's `PAYMENT.PAYOUTSBATCH.DENIED`; `batch` is the
    /// platform's batch id, `PayoutInstruction.batchID`): its payouts that were not settled fail.
    case payoutBatchFailed(batch: String, reason: String)
    /// A known event that needs no change (e.g. a session completed without payment yet).
    case acknowledge
    /// The buyer approved the payment at the provider (PayPal's `CHECKOUT.ORDER.APPROVED`), naming
    /// the provider's checkout `session`; nothing is taken yet. The kernel asks the provider to
    /// `capture` while the order still holds its seats, and applies what the capture answers; an
    /// approval that arrives after the reservation ended lapses and the buyer is not charged.
    case approved(order: OrderID, session: String)
}

/// A chargeback as the provider reports it (Stripe's `dispute` object: `id`, `amount`, `currency`, `reason`).
public struct ProviderDispute: Sendable, Hashable {
    /// The provider's id of the dispute (`dp_…`); one order may have several.
    public let id: String
    /// What the dispute claims, minor units of `currency`.
    public let amount: Int64
    /// ISO 4217 code, either case.
    public let currency: String
    public let reason: String

    public init(id: String, amount: Int64, currency: String, reason: String) {
        self.id = id
        self.amount = amount
        self.currency = currency
        self.reason = reason
    }
}

/// How a dispute ended. Won: the provider reinstated the money. Lost: the buyer keeps it.
public enum DisputeOutcome: String, Sendable, Hashable {
    case won, lost
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
