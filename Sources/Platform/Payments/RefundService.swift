import Logging
import PluginKit

/// Refunds through the order's provider: recorded first, asked of the provider outside any
/// transaction, and confirmed later by the provider's refund event.
package struct RefundService: Sendable {
    let database: any Database
    let clock: any WallClock
    let providers: PaymentProviders
    /// Value the tickets a refund names, and are told of them in the transaction that records it.
    let observers: OrderObservers
    let logger: Logger

    package init(database: any Database, clock: any WallClock, providers: PaymentProviders, observers: OrderObservers, logger: Logger) {
        self.database = database
        self.clock = clock
        self.providers = providers
        self.observers = observers
        self.logger = logger
    }

    package struct Requested: Sendable {
        package let id: RefundID
        package let order: Order
        package let amount: Money
        package let reference: String
    }

    /// Refunds `amount` of a paid order of this organizer. Without an amount it refunds what the
    /// named tickets are worth, or, naming none, all that is left. Named tickets stop admitting at once.
    /// - Throws: `PlatformError` (404 no such order, 409 not paid or beyond the provider's
    ///   capabilities), `ValidationFailure` (422: amount or tickets), `ProviderError`.
    package func refund(_ id: OrderID, organizer: OrganizerID?, amount: Int64?, reason: String?, tickets: [String] = []) async throws -> Requested {
        try await refund(id, organizer: organizer, amount: amount, reason: reason, tickets: tickets, automatic: false)
    }

    /// An automatic refund skips the check of the provider's declared capabilities: it goes to the
    /// provider, whose refusal is recorded as a failed refund that an admin sees: money the
    /// platform took is never left behind unrecorded.
    private func refund(_ id: OrderID, organizer: OrganizerID?, amount: Int64?, reason: String?, tickets: [String],
                        automatic: Bool) async throws -> Requested {
        let (observers, providers) = (self.observers, self.providers)
        let now = clock.now()
        let refundID = RefundID.generate(at: now)
        let (order, value, totalAfter) = try await database.transaction { sql in
            let orders = OrderRepository(sql)
            let found = if let organizer { try await orders.find(id, organizer: organizer) } else { try await orders.find(id) }
            guard let order = found else { throw PlatformError.notFound("order") }
            guard order.provider != Order.boxOfficeProvider else {
                throw PlatformError.conflict("a box office sale is refunded at the box office, in cash, not through a payment provider")
            }
            guard order.status.isPaidOrRefunded || order.status == .review, order.providerPayment != nil || order.providerSession != nil else {
                throw PlatformError.conflict("only a paid order can be refunded; this one is \(order.status.rawValue)")
            }
            let outstanding = try await RefundRepository(sql).outstanding(order: id)
            // What may go back is what the payment took: for an order in review that may be more than
            // its total (an overpayment), or another currency.
            let took = try await PaymentApplier.heldPayment(of: order, on: sql) ?? order.total
            let left = took.minorUnits - order.refunded - outstanding
            var itemsValue: Int64?
            if !tickets.isEmpty { itemsValue = try await observers.refundValue(of: tickets, in: order, on: sql) }
            let value = amount ?? itemsValue ?? left
            guard value > 0 else {
                throw ValidationFailure(field: "amount", left > 0 ? "must be positive" : "nothing is left to refund")
            }
            guard value <= left else { throw ValidationFailure(field: "amount", "must be at most \(left), what is left to refund") }
            if !automatic, let provider = providers.provider(order.provider) {
                try Self.check(provider, allows: value, of: left, paidAt: order.paidAt, now: now,
                               field: amount == nil && !tickets.isEmpty ? "tickets" : "amount")
            }
            try await RefundRepository(sql).insert(id: refundID, order: order, amount: Money(minorUnits: value, currency: took.currency),
                                                   reason: reason, at: now)
            try await observers.handle(.refundRequested(order, refund: refundID, amount: value), at: now, on: sql)
            if !tickets.isEmpty { try await observers.handle(.refunded(order, items: tickets, full: false), at: now, on: sql) }
            return (order, Money(minorUnits: value, currency: took.currency), order.refunded + outstanding + value)
        }
        guard let provider = providers.provider(order.provider) else {
            try await markFailed(refundID, order: order, tickets: tickets, error: "provider \(order.provider) is not configured")
            throw ProviderError.unavailable("the order's payment provider is not configured")
        }
        let currency = value.currency
        do {
            let result = try await provider.refund(RefundRequest(
                refundID: refundID, orderID: order.id, paymentReference: order.providerPayment, sessionReference: order.providerSession,
                amount: value, totalRefundedAfter: Money(minorUnits: totalAfter, currency: currency),
                reason: reason, idempotencyKey: refundID.rawValue))
            let acceptedAt = clock.now()
            try await database.transaction { sql in
                try await RefundRepository(sql).accepted(refundID, reference: result.reference, at: acceptedAt)
                try await AuditTrail.record("order.refund_accepted", organizer: order.organizerID, subject: refundID.rawValue, order: order.id,
                                            changes: .fields(["provider_reference": (nil, result.reference)]), at: acceptedAt, on: sql)
            }
            return Requested(id: refundID, order: order, amount: value, reference: result.reference)
        } catch {
            try await markFailed(refundID, order: order, tickets: tickets, error: String(describing: error))
            throw error
        }
    }

    /// Refunds in `statuses`, oldest first, after the cursor: the admin's triage of failed refunds.
    package func list(statuses: [String], after: RefundID?, limit: Int) async throws -> [RefundRecord] {
        try await database.read { sql in try await RefundRepository(sql).list(statuses: statuses, after: after, limit: limit) }
    }

    /// Refuses what the provider's declared capabilities rule out, before anything is recorded.
    static func check(_ provider: any PaymentProvider, allows amount: Int64, of left: Int64, paidAt: Timestamp?, now: Timestamp,
                      field: String) throws {
        let capabilities = provider.refundCapabilities
        switch capabilities.kind {
        case .none:
            throw PlatformError.conflict("\(provider.id) payments cannot be refunded through the platform")
        case .full where amount != left:
            throw ValidationFailure(field: field, "\(provider.id) refunds only what is left in full: \(left)")
        case .full, .partial:
            break
        }
        if let days = capabilities.timeLimitDays, let paidAt, now > paidAt.adding(minutes: Int64(days) * 24 * 60) {
            throw PlatformError.conflict("\(provider.id) refunds payments for \(days) days after they are made; this one is older")
        }
    }

    /// Gives a stray payment (a second charge of an order) back in full through its provider,
    /// against that payment. Recorded as a refund row of the order naming the payment, which an
    /// admin sees failed if the provider refuses; its money waits in review until confirmed.
    func refundStray(_ id: OrderID, amount: Money, reference: String, reason: String) async {
        let now = clock.now()
        let refundID = RefundID.generate(at: now)
        do {
            let order = try await database.transaction { sql in
                guard let order = try await OrderRepository(sql).find(id) else { throw PlatformError.notFound("order") }
                try await RefundRepository(sql).insert(id: refundID, order: order, amount: amount, reason: reason, paymentReference: reference,
                                                       at: now)
                try await AuditTrail.record("order.refund_requested", organizer: order.organizerID, subject: refundID.rawValue, order: order.id,
                                            changes: .fields(["amount": (nil, amount.minorUnits), "currency": (nil, amount.currency.code),
                                                              "stray_payment": (nil, reference)]), at: now, on: sql)
                return order
            }
            guard let provider = providers.provider(order.provider) else {
                try await markFailed(refundID, order: order, tickets: [], error: "provider \(order.provider) is not configured", stray: true)
                return
            }
            do {
                let result = try await provider.refund(RefundRequest(
                    refundID: refundID, orderID: order.id, paymentReference: reference, sessionReference: nil, amount: amount,
                    totalRefundedAfter: amount, reason: reason, idempotencyKey: refundID.rawValue))
                let acceptedAt = clock.now()
                try await database.transaction { sql in try await RefundRepository(sql).accepted(refundID, reference: result.reference, at: acceptedAt) }
            } catch {
                try await markFailed(refundID, order: order, tickets: [], error: String(describing: error), stray: true)
            }
        } catch {
            logger.error("stray payment refund failed", metadata: ["order": "\(id)", "error": "\(String(describing: error).prefix(300))"])
        }
    }

    /// The automatic refund of a payment the platform could not keep; failures are logged for an admin.
    func refundAutomatically(_ id: OrderID, amount: Money, reason: String) async {
        do {
            _ = try await refund(id, organizer: nil, amount: amount.minorUnits, reason: reason, tickets: [], automatic: true)
        } catch {
            logger.error("automatic refund failed", metadata: ["order": "\(id)", "error": "\(String(describing: error).prefix(300))"])
        }
    }

    /// A stray payment's refund set nothing aside: failing it moves no money (it stays in review).
    private func markFailed(_ id: RefundID, order: Order, tickets: [String], error: String, stray: Bool = false) async throws {
        let observers = self.observers
        try await database.transaction { sql in
            guard try await RefundRepository(sql).failed(id, error: String(error.prefix(1000)), at: clock.now()) else { return }
            if stray {
                try await AuditTrail.record("order.refund_failed", organizer: order.organizerID, subject: id.rawValue, order: order.id,
                                            changes: .fields(["status": ("requested", "failed")]), at: clock.now(), on: sql)
            } else {
                try await observers.handle(.refundFailed(order, refund: id, items: tickets), at: clock.now(), on: sql)
            }
        }
    }
}
