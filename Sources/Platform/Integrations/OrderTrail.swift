import PluginKit
import SQLKit

/// Audits every change to an order and publishes the matching webhook events, inside the
/// transaction of the change. The order each event carries is the order before the change; the
/// webhook's `data` is the order as the API shows it after.
package struct OrderTrail: OrderLifecycleObserver {
    package init() {}

    package func handle(_ event: OrderLifecycleEvent, at time: Timestamp, on sql: any SQLDatabase) async throws {
        switch event {
        case let .placed(order):
            try await record("order.placed", order, changes: .fields([
                "status": (nil, order.status.rawValue), "total": (nil, order.total.minorUnits), "currency": (nil, order.total.currency.code),
                "seats": (nil, order.seatCount), "provider": (nil, order.provider),
            ]), data: order, at: time, on: sql)
        case let .paid(order):
            var after = order
            after.status = .paid
            after.seats = .sold
            after.paidAt = time
            after.updatedAt = time
            try await record("order.paid", order, changes: status(order, after), data: after, at: time, on: sql)
        case let .ended(order, status):
            var after = order
            after.status = status
            after.seats = .released
            after.updatedAt = time
            try await record("order.\(status.rawValue)", order, changes: self.status(order, after), data: after, at: time, on: sql)
        case let .reviewed(order, reason):
            try await record("order.review", order, changes: .fields(["status": (order.status.rawValue, "review"), "review_reason": (nil, reason)]),
                             at: time, on: sql)
        case let .paymentHeld(order, amount):
            try await record("order.payment_held", order, changes: .fields(["held": (nil, amount.minorUnits), "currency": (nil, amount.currency.code)]),
                             at: time, on: sql)
        case let .strayPayment(order, amount, reference):
            try await record("order.payment_stray", order, changes: .fields([
                "stray_payment": (nil, reference), "amount": (nil, amount.minorUnits), "currency": (nil, amount.currency.code),
            ]), at: time, on: sql)
        case let .strayRefunded(order, amount, reference, after):
            try await record("order.stray_refunded", order, changes: .fields([
                "stray_payment": (nil, reference), "refunded": (after - amount.minorUnits, after), "currency": (nil, amount.currency.code),
            ]), at: time, on: sql)
        case let .refundRequested(order, refund, amount):
            let currency = try await PaymentApplier.heldPayment(of: order, on: sql)?.currency ?? order.total.currency
            try await record("order.refund_requested", order, subject: refund.rawValue,
                             changes: .fields(["amount": (nil, amount), "currency": (nil, currency.code)]), at: time, on: sql)
        case let .refundFailed(order, refund, _):
            try await record("order.refund_failed", order, subject: refund.rawValue, changes: .fields(["status": ("requested", "failed")]),
                             at: time, on: sql)
        case let .refundSettled(order, amount, full):
            var after = order
            after.refunded = order.refunded + amount
            if order.status != .review { after.status = full ? .refunded : .partiallyRefunded }
            after.updatedAt = time
            var changes: [String: (from: (any Sendable)?, to: (any Sendable)?)] = ["refunded": (order.refunded, after.refunded)]
            if after.status != order.status { changes["status"] = (order.status.rawValue, after.status.rawValue) }
            try await record("order.refunded", order, changes: .fields(changes), data: after, at: time, on: sql)
        case let .disputeOpened(order, dispute):
            var after = order
            after.disputeReason = dispute.reason
            after.updatedAt = time
            try await record("order.disputed", order, changes: .fields([
                "dispute": (nil, dispute.id), "disputed_amount": (nil, dispute.amount.minorUnits), "dispute_reason": (nil, dispute.reason),
            ]), data: after, at: time, on: sql)
        case let .disputeClosed(order, dispute, outcome):
            try await record("order.dispute_closed", order, changes: .fields(["dispute": (nil, dispute.id), "outcome": (nil, outcome.rawValue)]),
                             at: time, on: sql)
        case let .creditReturned(order, refund, amount):
            try await record("order.credit_returned", order, subject: refund.rawValue, changes: .fields(["credit_returned": (nil, amount)]),
                             at: time, on: sql)
        case .refunded:
            // Told with `.refundSettled` or `.refundRequested`, which carry the amount.
            return
        }
    }

    private func status(_ before: Order, _ after: Order) -> AuditChanges {
        .fields(["status": (before.status.rawValue, after.status.rawValue)])
    }

    private func record(_ action: String, _ order: Order, subject: String? = nil, changes: AuditChanges, data: Order? = nil,
                        at time: Timestamp, on sql: any SQLDatabase) async throws {
        try await AuditTrail.record(action, organizer: order.organizerID, subject: subject ?? order.id.rawValue, order: order.id,
                                    event: nil, changes: changes, data: data.map(OrderBody.init), at: time, on: sql)
    }
}
