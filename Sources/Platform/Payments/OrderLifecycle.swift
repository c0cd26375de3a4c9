import PluginKit
import SQLKit

/// A change to a paid order that other parts of the platform (tickets, e-mail) follow. Observers
/// run inside the transaction that makes the change, so their writes commit or roll back with it.
package enum OrderLifecycleEvent: Sendable {
    /// A buyer placed the order: it is pending and holds its seats.
    case placed(Order)
    /// The pending order ended unpaid (`status`: expired, cancelled or failed); its seats are free.
    case ended(Order, status: OrderStatus)
    /// Money arrived that the order cannot keep as it is: the order went to review for `reason`.
    case reviewed(Order, reason: String)
    /// The order just became paid; `order` still carries its lines.
    case paid(Order)
    /// A refund was recorded. `items` are the tickets the refund names (empty: none named);
    /// `full` is true once everything paid has been refunded.
    case refunded(Order, items: [String], full: Bool)
    /// The provider confirmed refunding `amount` more (in the order's minor units); `full` once
    /// everything paid has been refunded. Follows `.refunded` in the same transaction.
    case refundSettled(Order, amount: Int64, full: Bool)
    /// The credit part of a refund (`amount`, the order's minor units), which `.refundSettled` just
    /// settled into the provider's clearing, goes back to the buyer's wallet. Follows `.refundSettled`.
    case creditReturned(Order, refund: RefundID, amount: Int64)
    /// A refund of `amount` (the order's minor units) was asked of the provider, in the transaction
    /// that records it.
    case refundRequested(Order, refund: RefundID, amount: Int64)
    /// The provider refused a requested refund: what it named is valid again.
    case refundFailed(Order, refund: RefundID, items: [String])
    /// The provider took `amount` for an order that cannot keep it (a wrong amount, or a payment
    /// after its seats were gone): the order is in review and the money waits to go back.
    case paymentHeld(Order, amount: Money)
    /// A second, distinct payment (`reference`) arrived for an order that has its own: it cannot be
    /// kept, and waits in review to go back in full.
    case strayPayment(Order, amount: Money, reference: String)
    /// The provider confirmed refunding a stray payment up to `refundedAfter` (its minor units), `amount` of it now.
    case strayRefunded(Order, amount: Money, reference: String, refundedAfter: Int64)
    /// A chargeback was opened: the provider withdrew `dispute.amount` until it is decided.
    case disputeOpened(Order, OrderDispute)
    /// The chargeback was decided: won, the provider gave the money back; lost, the buyer keeps it.
    case disputeClosed(Order, OrderDispute, DisputeOutcome)
}

package protocol OrderLifecycleObserver: Sendable {
    func handle(_ event: OrderLifecycleEvent, at time: Timestamp, on sql: any SQLDatabase) async throws
    /// What the named items of a refund are worth in the order's minor units, or nil when this
    /// observer has no items; throws a `ValidationFailure` when they are not refundable items of the order.
    func refundValue(of items: [String], in order: Order, on sql: any SQLDatabase) async throws -> Int64?
}

extension OrderLifecycleObserver {
    package func refundValue(of items: [String], in order: Order, on sql: any SQLDatabase) async throws -> Int64? { nil }
}

/// The one list of observers every path that changes an order tells, in order.
package struct OrderObservers: Sendable {
    package let list: [any OrderLifecycleObserver]

    package init(_ list: [any OrderLifecycleObserver]) { self.list = list }

    package func handle(_ event: OrderLifecycleEvent, at time: Timestamp, on sql: any SQLDatabase) async throws {
        for observer in list { try await observer.handle(event, at: time, on: sql) }
    }

    /// What the named items are worth, to the first observer that has items.
    /// - Throws: `ValidationFailure` on `tickets` when no observer values them or they are not refundable.
    package func refundValue(of items: [String], in order: Order, on sql: any SQLDatabase) async throws -> Int64 {
        for observer in list {
            if let value = try await observer.refundValue(of: items, in: order, on: sql) { return value }
        }
        throw ValidationFailure(field: "tickets", "tickets cannot be named on this platform")
    }
}
