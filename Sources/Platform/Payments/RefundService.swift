import Logging
import PluginKit
import SQLKit

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
        /// The provider's part, or, for credit alone, the credit given back.
        package let amount: Money
        package let reference: String
        /// What went back to the buyer's wallet (minor units), settled at once.
        package var creditAmount: Int64 = 0
        /// True when nothing waits for a provider: credit alone, given back.
        package var settled = false
    }

    /// Refunds `amount` of a paid order of this organizer. Without an amount it refunds what the
    /// named tickets are worth, or, naming none, all that is left. Named tickets stop admitting at once.
    /// - Throws: `PlatformError` (404 no such order, 409 not paid or beyond the provider's
    ///   capabilities), `ValidationFailure` (422: amount or tickets), `ProviderError`.
    /// An order paid partly or wholly with buyer credit gives credit back first, at once, unless
    /// `part` is `.provider`; only what is left goes to the provider.
    package func refund(_ id: OrderID, organizer: OrganizerID?, amount: Int64?, reason: String?, tickets: [String] = [],
                        part: RefundPart = .credit) async throws -> Requested {
        try await refund(id, organizer: organizer, amount: amount, reason: reason, tickets: tickets, part: part, automatic: false)
    }

    /// An automatic refund skips the check of the provider's declared capabilities: it goes to the
    /// provider, whose refusal is recorded as a failed refund that an admin sees: money the
    /// platform took is never left behind unrecorded.
    ///
    /// Of an order paid partly with credit, the refund is split first (credit first unless `part`
    /// is `.provider`); the provider's part is asked for first, and the credit part given back only
    /// once the provider has accepted, so a refused refund gives nothing back at all.
    private func refund(_ id: OrderID, organizer: OrganizerID?, amount: Int64?, reason: String?, tickets: [String], part: RefundPart = .credit,
                        automatic: Bool) async throws -> Requested {
        let (observers, providers) = (self.observers, self.providers)
        let now = clock.now()
        let refundID = RefundID.generate(at: now)
        let planned = try await database.transaction { sql -> Planned in
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
            let spend = order.creditAmount > 0 && order.status != .review ? try await WalletRepository(sql).spend(order: order.id) : nil
            let creditLeft = spend.map { $0.status == "posted" ? $0.amount.minorUnits - $0.refunded : 0 } ?? 0
            var itemsValue: Int64?
            if !tickets.isEmpty { itemsValue = try await observers.refundValue(of: tickets, in: order, on: sql) }
            let value = amount ?? itemsValue ?? (part == .provider ? left - creditLeft : left)
            guard value > 0 else {
                throw ValidationFailure(field: "amount", left > 0 ? "must be positive" : "nothing is left to refund")
            }
            guard value <= left else { throw ValidationFailure(field: "amount", "must be at most \(left), what is left to refund") }
            let creditPart = part == .provider ? 0 : min(value, creditLeft), providerPart = value - creditPart
            let field = amount == nil && !tickets.isEmpty ? "tickets" : "amount"
            if providerPart > left - creditLeft {
                throw ValidationFailure(field: field, "must be at most \(left - creditLeft), what is left of the part paid through \(order.provider)")
            }
            if providerPart > 0, !automatic, let provider = providers.provider(order.provider) {
                try Self.check(provider, allows: providerPart, of: left - creditLeft, paidAt: order.paidAt, now: now, field: field)
            }
            guard providerPart > 0 else {
                let given = try await refundCredit(order, amount: creditPart, reason: reason, tickets: tickets, at: now, on: sql)
                return Planned(order: given.order, provider: Money(minorUnits: 0, currency: took.currency), providerAfter: 0, credit: creditPart,
                               creditRefund: given.refund)
            }
            try await RefundRepository(sql).insert(id: refundID, order: order, amount: Money(minorUnits: providerPart, currency: took.currency),
                                                   reason: reason, at: now)
            try await observers.handle(.refundRequested(order, refund: refundID, amount: providerPart), at: now, on: sql)
            if !tickets.isEmpty { try await observers.handle(.refunded(order, items: tickets, full: false), at: now, on: sql) }
            // The provider counts only what went through it.
            let providerRefunded = order.refunded - (spend?.refunded ?? 0)
            return Planned(order: order, provider: Money(minorUnits: providerPart, currency: took.currency),
                           providerAfter: providerRefunded + outstanding + providerPart, credit: creditPart, creditRefund: nil)
        }
        if planned.provider.minorUnits == 0, let creditRefund = planned.creditRefund {
            return Requested(id: creditRefund, order: planned.order, amount: Money(minorUnits: planned.credit, currency: planned.provider.currency),
                             reference: "credit:\(creditRefund)", creditAmount: planned.credit, settled: true)
        }
        let order = planned.order, value = planned.provider
        guard let provider = providers.provider(order.provider) else {
            try await markFailed(refundID, order: order, tickets: tickets, error: "provider \(order.provider) is not configured")
            throw ProviderError.unavailable("the order's payment provider is not configured")
        }
        let result: RefundResult
        do {
            result = try await provider.refund(RefundRequest(
                refundID: refundID, orderID: order.id, paymentReference: order.providerPayment, sessionReference: order.providerSession,
                amount: value, totalRefundedAfter: Money(minorUnits: planned.providerAfter, currency: value.currency),
                reason: reason, idempotencyKey: refundID.rawValue))
        } catch {
            try await markFailed(refundID, order: order, tickets: tickets, error: String(describing: error))
            throw error
        }
        let acceptedAt = clock.now()
        let credit = planned.credit
        try await database.transaction { sql in
            try await RefundRepository(sql).accepted(refundID, reference: result.reference, at: acceptedAt)
            try await AuditTrail.record("order.refund_accepted", organizer: order.organizerID, subject: refundID.rawValue, order: order.id,
                                        changes: .fields(["provider_reference": (nil, result.reference)]), at: acceptedAt, on: sql)
            // The provider took its part on: the credit part now goes back, up to what is left of it.
            guard credit > 0, let current = try await OrderRepository(sql).find(order.id),
                  let spend = try await WalletRepository(sql).spend(order: order.id), spend.status == "posted" else { return }
            let back = min(credit, spend.amount.minorUnits - spend.refunded)
            if back > 0 { _ = try await refundCredit(current, amount: back, reason: reason, tickets: [], at: acceptedAt, on: sql) }
        }
        return Requested(id: refundID, order: order, amount: value, reference: result.reference, creditAmount: credit, settled: false)
    }

    /// What the first transaction of a refund decided: the provider's part (0: credit alone, given
    /// back already as `creditRefund`) and what the provider will have refunded in all after it,
    /// and the credit part.
    private struct Planned: Sendable {
        let order: Order
        let provider: Money
        let providerAfter: Int64
        let credit: Int64
        let creditRefund: RefundID?
    }

    /// Gives `amount` of the order's credit part back to its wallet as a refund settled at once: the
    /// ledger sets it aside and settles it as for any refund, then the wallet takes it in. Returns
    /// the order as it is after.
    private func refundCredit(_ order: Order, amount: Int64, reason: String?, tickets: [String], at now: Timestamp,
                              on sql: any SQLDatabase) async throws -> CreditRefunded {
        let id = RefundID.generate(at: now)
        let refunds = RefundRepository(sql)
        try await refunds.insert(id: id, order: order, amount: Money(minorUnits: amount, currency: order.total.currency), reason: reason, at: now)
        try await observers.handle(.refundRequested(order, refund: id, amount: amount), at: now, on: sql)
        if !tickets.isEmpty { try await observers.handle(.refunded(order, items: tickets, full: false), at: now, on: sql) }
        try await refunds.accepted(id, reference: "credit:\(id)", at: now)
        try await refunds.settle(id, at: now)
        let after = order.refunded + amount, full = after >= order.total.minorUnits
        guard try await OrderRepository(sql).recordRefunded(order.id, from: order.refunded, to: after, status: full ? .refunded : .partiallyRefunded,
                                                            seats: full ? .released : order.seats, at: now) else {
            throw PlatformError.conflict("the order changed while it was being refunded; try again")
        }
        try await observers.handle(.refunded(order, items: [], full: full), at: now, on: sql)
        try await observers.handle(.refundSettled(order, amount: amount, full: full), at: now, on: sql)
        try await observers.handle(.creditReturned(order, refund: id, amount: amount), at: now, on: sql)
        // After the wallet's row, as every path locks them: the seats' rows last.
        if full { try await PaymentApplier.releaseSeats(of: order, on: sql) }
        guard let current = try await OrderRepository(sql).find(order.id) else { throw PlatformError.notFound("order") }
        return CreditRefunded(order: current, refund: id)
    }

    private struct CreditRefunded {
        let order: Order
        let refund: RefundID
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
