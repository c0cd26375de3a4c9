import PluginKit
import SQLKit

/// A change to a paid order that other parts of the platform (tickets, e-mail) follow. Observers
/// run inside the transaction that makes the change, so their writes commit or roll back with it.
public enum OrderLifecycleEvent: Sendable {
    /// The order just became paid; `order` still carries its lines.
    case paid(Order)
    /// A refund was recorded. `items` are the tickets the refund names (empty: none named);
    /// `full` is true once everything paid has been refunded.
    case refunded(Order, items: [String], full: Bool)
    /// The provider confirmed refunding `amount` more (in the order's minor units); `full` once
    /// everything paid has been refunded. Follows `.refunded` in the same transaction.
    case refundSettled(Order, amount: Int64, full: Bool)
    /// The provider refused a requested refund: what it named is valid again.
    case refundFailed(Order, items: [String])
    /// A paid order was cancelled without a refund.
    case cancelled(Order)
}

public protocol OrderLifecycleObserver: Sendable {
    func handle(_ event: OrderLifecycleEvent, at time: Timestamp, on sql: any SQLDatabase) async throws
    /// What the named items of a refund are worth in the order's minor units; throws a
    /// `ValidationFailure` when they are not refundable items of this order.
    func refundValue(of items: [String], in order: Order, on sql: any SQLDatabase) async throws -> Int64
}
