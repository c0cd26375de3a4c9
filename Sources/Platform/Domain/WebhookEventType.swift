/// The events an organizer's webhook endpoints may subscribe to. Each is also the audit action of
/// the change that publishes it.
package enum WebhookEventType: String, Sendable, CaseIterable, Codable {
    case orderPlaced = "order.placed"
    case orderPaid = "order.paid"
    /// A refund the provider confirmed, partial or full (`data.refunded`, `data.status`).
    case orderRefunded = "order.refunded"
    case orderCancelled = "order.cancelled"
    case orderExpired = "order.expired"
    case orderFailed = "order.failed"
    case orderDisputed = "order.disputed"
    case ticketAdmitted = "ticket.admitted"
    case ticketBlocked = "ticket.blocked"
    case ticketUnblocked = "ticket.unblocked"
    case payoutSent = "payout.sent"
    case payoutSettled = "payout.settled"
    case payoutFailed = "payout.failed"
}
