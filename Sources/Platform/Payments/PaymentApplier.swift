import PluginKit
import SQLKit

/// What applying a command led to, including work that must happen after the transaction commits.
package enum PaymentOutcome: Sendable, Hashable {
    case applied
    case unchanged
    /// The money was taken but the order cannot keep it (a wrong amount or currency, or seats gone
    /// after expiry): the order is in review and `amount`, all the payment took, in the currency it
    /// took it, must go back through the provider.
    case refundRequired(OrderID, amount: Money)
    /// As above, in a currency the platform does not know: an admin must resolve it.
    case reviewOnly
    /// A second, distinct payment (`reference`) for an order paid with another: all of `amount`
    /// must go back through the provider, against that payment.
    case strayRefundRequired(OrderID, amount: Money, reference: String)
    /// The buyer approved a payment the provider must now capture (`PaymentCommand.approved`);
    /// the order still waits for it with its seats held.
    case captureRequired(OrderID, session: String)
}

/// A command that cannot apply yet (a refund for an order whose payment event has not arrived):
/// the inbox retries it later.
struct NotYetApplicable: Error, CustomStringConvertible {
    let description: String
}

/// A conditional update found the order already moved by a concurrent transaction.
struct ConcurrentChange: Error {}

/// Applies a provider's payout events (settled, failed, returned) inside the inbox's transaction;
/// true when the payout moved.
package protocol PayoutEventApplier: Sendable {
    func apply(_ command: PaymentCommand, provider: String, at time: Timestamp, on sql: any SQLDatabase) async throws -> Bool
}

/// Applies payment commands to orders and inventory inside the caller's transaction, and tells
/// the observers of what changed. The composition root builds one, shared by every caller.
package struct PaymentApplier: Sendable {
    let clock: any WallClock
    package let observers: OrderObservers
    let payouts: (any PayoutEventApplier)?

    package init(clock: any WallClock, observers: OrderObservers, payouts: (any PayoutEventApplier)? = nil) {
        self.clock = clock
        self.observers = observers
        self.payouts = payouts
    }

    /// When another transaction moved the order first, the command is decided again against the
    /// order as it is now (each statement sees committed data), so a duplicate resolves at once.
    package func apply(_ command: PaymentCommand, provider: String, on sql: any SQLDatabase) async throws -> PaymentOutcome {
        for _ in 0..<3 {
            do {
                return try await applyOnce(command, provider: provider, on: sql)
            } catch is ConcurrentChange {
                continue
            }
        }
        throw NotYetApplicable(description: "the order kept changing concurrently")
    }

    private func applyOnce(_ command: PaymentCommand, provider: String, on sql: any SQLDatabase) async throws -> PaymentOutcome {
        let orders = OrderRepository(sql)
        func load(_ id: OrderID) async throws -> Order {
            guard let order = try await orders.find(id), order.provider == provider else {
                throw WebhookPayloadError("no \(provider) order \(id)")
            }
            return order
        }
        func load(payment reference: String) async throws -> Order {
            guard let order = try await orders.find(provider: provider, paymentReference: reference) else {
                if try await StrayPaymentRepository(sql).find(provider: provider, reference: reference) != nil {
                    // Only its refund applies to a stray payment; anything else (a dispute of it) is an admin's.
                    throw WebhookPayloadError("\(reference) is a stray payment of its order: an admin must handle this event")
                }
                // The payment event that records the reference may not have been applied yet.
                throw NotYetApplicable(description: "no \(provider) order paid with \(reference) yet")
            }
            return order
        }
        let now = clock.now()
        switch command {
        case .acknowledge:
            return .unchanged
        case let .approved(id, session):
            // The capture is a call to the provider: the caller makes it after this transaction.
            let order = try await load(id)
            return order.status == .pending && order.seats == .held ? .captureRequired(order.id, session: session) : .unchanged
        case .payoutSettled, .payoutFailed, .payoutReturned, .payoutBatchFailed:
            guard let payouts else { throw WebhookPayloadError("this platform sends no payouts") }
            return try await payouts.apply(command, provider: provider, at: now, on: sql) ? .applied : .unchanged
        case let .paid(id, amount, currency, reference):
            return try await paid(try await load(id), amount: amount, currency: currency, reference: reference, on: sql, now: now)
        case let .failed(id, _):
            return try await end(try await load(id), as: .failed, on: sql, now: now)
        case let .cancelled(id):
            return try await end(try await load(id), as: .cancelled, on: sql, now: now)
        case let .expired(id):
            return try await end(try await load(id), as: .expired, on: sql, now: now)
        case let .refunded(id, total, currency, _):
            return try await refunded(try await load(id), total: total, currency: currency, on: sql, now: now)
        case let .disputed(id, dispute):
            return try await disputed(try await load(id), dispute, provider: provider, on: sql, now: now)
        case let .disputeClosed(id, dispute, outcome):
            return try await disputeClosed(try await load(id), dispute, outcome: outcome, provider: provider, on: sql, now: now)
        case let .refundedPayment(reference, total, currency, _):
            if let stray = try await StrayPaymentRepository(sql).find(provider: provider, reference: reference),
               try await orders.find(provider: provider, paymentReference: reference) == nil {
                return try await strayRefunded(stray, total: total, currency: currency, on: sql, now: now)
            }
            return try await refunded(try await load(payment: reference), total: total, currency: currency, on: sql, now: now)
        case let .disputedPayment(reference, dispute):
            return try await disputed(try await load(payment: reference), dispute, provider: provider, on: sql, now: now)
        case let .disputeClosedPayment(reference, dispute, outcome):
            return try await disputeClosed(try await load(payment: reference), dispute, outcome: outcome, provider: provider, on: sql, now: now)
        }
    }

    private func paid(_ order: Order, amount: Int64, currency: String, reference: String, on sql: any SQLDatabase,
                      now: Timestamp) async throws -> PaymentOutcome {
        let orders = OrderRepository(sql)
        let inventory = InventoryRepository(sql)
        guard !order.status.isPaidOrRefunded, order.status != .review else {
            // Paid already: the same payment again changes nothing; another one is a second charge.
            guard let own = order.providerPayment, own != reference else { return .unchanged }
            return try await stray(order, amount: amount, currency: currency, reference: reference, on: sql, now: now)
        }

        // Of an order paid partly with credit, the provider takes only the rest.
        guard amount == order.providerDue, currency.uppercased() == order.total.currency.code else {
            let due = order.creditAmount > 0 ? "the order's total less its credit is" : "order total is"
            let reason = "provider reported \(amount) \(currency.uppercased()), \(due) \(order.providerDue) \(order.total.currency.code)"
            try await review(order, reason: reason, reference: reference, on: sql, now: now)
            guard amount > 0, let taken = Currency(code: currency) else { return .reviewOnly }
            let held = Money(minorUnits: amount, currency: taken)
            try await observers.handle(.paymentHeld(order, amount: held), at: now, on: sql)
            return .refundRequired(order.id, amount: held)
        }
        if order.status == .pending && order.seats == .held {
            guard try await orders.transition(order.id, from: .pending, seats: .held, to: .paid, seats: .sold, at: now,
                                              paymentReference: reference) else { throw ConcurrentChange() }
            // The observers (ledger, tickets) before the seats: a variant's row stays locked from
            // its update to the commit, and every payment for a popular variant waits for it.
            try await observers.handle(.paid(order), at: now, on: sql)
            for line in order.lines {
                if let deferred = DeferredSeatConversions.current {
                    deferred.add(line.variantID, line.quantity)
                } else {
                    try await inventory.convertHeldToSold(line.variantID, line.quantity)
                }
            }
            return .applied
        }
        if order.status.acceptsLatePayment && order.seats == .released && order.creditAmount > 0 {
            // Its credit went back to the wallet when it ended: the late payment goes back too.
            let reason = "paid after its reservation ended; the credit it held went back to the wallet"
            try await review(order, reason: reason, reference: reference, on: sql, now: now)
            let held = Money(minorUnits: amount, currency: order.total.currency)
            try await observers.handle(.paymentHeld(order, amount: held), at: now, on: sql)
            return .refundRequired(order.id, amount: held)
        }
        if order.status.acceptsLatePayment && order.seats == .released {
            guard try await orders.transition(order.id, from: order.status, seats: .released, to: .paid, seats: .sold, at: now,
                                              paymentReference: reference) else { throw ConcurrentChange() }
            var taken: [OrderLine] = []
            for line in order.lines.sorted(by: { $0.variantID < $1.variantID }) {
                guard try await inventory.sellUnreserved(line.variantID, line.quantity) else {
                    // Give back what this payment took so far; the order cannot be honoured.
                    for earlier in taken { try await inventory.releaseSold(earlier.variantID, earlier.quantity) }
                    guard try await orders.transition(order.id, from: .paid, seats: .sold, to: .review, seats: .released, at: now,
                                                      reviewReason: "paid after its reservation ended; the seats are gone") else {
                        throw ConcurrentChange()
                    }
                    try await observers.handle(.reviewed(order, reason: "paid after its reservation ended; the seats are gone"), at: now, on: sql)
                    try await observers.handle(.paymentHeld(order, amount: order.total), at: now, on: sql)
                    return .refundRequired(order.id, amount: order.total)
                }
                taken.append(line)
            }
            try await observers.handle(.paid(order), at: now, on: sql)
            return .applied
        }
        return .unchanged
    }

    private func review(_ order: Order, reason: String, reference: String, on sql: any SQLDatabase, now: Timestamp) async throws {
        guard try await OrderRepository(sql).transition(order.id, from: order.status, seats: order.seats, to: .review, seats: .released,
                                                        at: now, paymentReference: reference, reviewReason: reason) else {
            throw ConcurrentChange()
        }
        // The observers (the wallet's row) before the seats' rows, in the order every path locks them.
        try await observers.handle(.reviewed(order, reason: reason), at: now, on: sql)
        try await releaseSeats(of: order, on: sql)
    }

    /// Ends a pending order without payment and gives its seats back.
    private func end(_ order: Order, as status: OrderStatus, on sql: any SQLDatabase, now: Timestamp) async throws -> PaymentOutcome {
        guard order.status == .pending, order.seats == .held else { return .unchanged }
        guard try await OrderRepository(sql).transition(order.id, from: .pending, seats: .held, to: status, seats: .released, at: now) else {
            throw ConcurrentChange()
        }
        // The observers (the wallet's row) before the seats' rows, in the order every path locks them.
        try await observers.handle(.ended(order, status: status), at: now, on: sql)
        try await releaseSeats(of: order, on: sql)
        return .applied
    }

    private func refunded(_ order: Order, total: Int64, currency: String, on sql: any SQLDatabase, now: Timestamp) async throws -> PaymentOutcome {
        guard order.status.isPaidOrRefunded || order.status == .review else {
            throw NotYetApplicable(description: "refund for an order that is not paid yet (\(order.status.rawValue))")
        }
        // An order in review refunds what its payment took (more than its total when overpaid), in that payment's currency.
        let took = try await Self.heldPayment(of: order, on: sql) ?? order.total
        guard currency.uppercased() == took.currency.code else {
            throw WebhookPayloadError("refund currency \(currency) does not match the payment's \(took.currency.code)")
        }
        // The provider counts what went through it; the order's refunded total also counts credit given back.
        let creditRefunded = order.creditAmount > 0 ? try await WalletRepository(sql).spend(order: order.id)?.refunded ?? 0 : 0
        let newTotal = min(max(order.refunded, total + creditRefunded), took.minorUnits)
        guard newTotal > order.refunded else { return .unchanged }
        let full = newTotal >= took.minorUnits
        let status: OrderStatus = order.status == .review ? .review : (full ? .refunded : .partiallyRefunded)
        let seats: SeatState = full ? .released : order.seats
        guard try await OrderRepository(sql).recordRefunded(order.id, from: order.refunded, to: newTotal, status: status, seats: seats, at: now) else {
            throw ConcurrentChange()
        }
        if full { try await releaseSeats(of: order, on: sql) }
        try await RefundRepository(sql).settle(order: order.id, at: now)
        try await observers.handle(.refunded(order, items: [], full: full), at: now, on: sql)
        try await observers.handle(.refundSettled(order, amount: newTotal - order.refunded, full: full), at: now, on: sql)
        return .applied
    }

    /// Records the dispute as open, once, and tells the observers (the ledger holds its money back).
    private func disputed(_ order: Order, _ reported: ProviderDispute, provider: String, on sql: any SQLDatabase,
                          now: Timestamp) async throws -> PaymentOutcome {
        let dispute = try recorded(reported, of: order, provider: provider)
        // The ledger reads the order's transfers next: the hold release must not move them meanwhile.
        try await OrderRepository(sql).lock([order.id])
        guard try await DisputeRepository(sql).open(dispute, organizer: order.organizerID, at: now) else { return .unchanged }
        _ = try await OrderRepository(sql).flagDispute(order.id, reason: dispute.reason, at: now)
        try await observers.handle(.disputeOpened(order, dispute), at: now, on: sql)
        return .applied
    }

    /// Closes the dispute, once; a close that arrives before its opening opens it first.
    private func disputeClosed(_ order: Order, _ reported: ProviderDispute, outcome: DisputeOutcome, provider: String,
                               on sql: any SQLDatabase, now: Timestamp) async throws -> PaymentOutcome {
        let disputes = DisputeRepository(sql)
        // Opens it if it is not open yet, and locks the order either way.
        _ = try await disputed(order, reported, provider: provider, on: sql, now: now)
        guard let dispute = try await disputes.find(provider: provider, id: reported.id), dispute.orderID == order.id else {
            throw WebhookPayloadError("dispute \(reported.id) belongs to another order")
        }
        guard try await disputes.close(provider: provider, id: dispute.id, outcome: outcome, at: now) else { return .unchanged }
        try await observers.handle(.disputeClosed(order, dispute, outcome), at: now, on: sql)
        return .applied
    }

    /// The dispute as the platform records it: in the order's currency, for at most its total.
    private func recorded(_ dispute: ProviderDispute, of order: Order, provider: String) throws -> OrderDispute {
        guard order.status.isPaidOrRefunded || order.status == .review else {
            throw NotYetApplicable(description: "dispute for an order that is not paid yet (\(order.status.rawValue))")
        }
        guard dispute.currency.uppercased() == order.total.currency.code, dispute.amount > 0 else {
            throw WebhookPayloadError("dispute \(dispute.id) of \(dispute.amount) \(dispute.currency) does not fit order \(order.id)")
        }
        return OrderDispute(provider: provider, id: dispute.id, orderID: order.id,
                            amount: Money(minorUnits: min(dispute.amount, order.total.minorUnits), currency: order.total.currency),
                            reason: dispute.reason)
    }

    /// Records a payment the order cannot take as its own, once, and holds its money in review.
    private func stray(_ order: Order, amount: Int64, currency: String, reference: String, on sql: any SQLDatabase,
                       now: Timestamp) async throws -> PaymentOutcome {
        guard amount > 0, let taken = Currency(code: currency) else { return .reviewOnly }
        let money = Money(minorUnits: amount, currency: taken)
        guard try await StrayPaymentRepository(sql).insert(provider: order.provider, reference: reference, order: order, amount: money,
                                                           at: now) else { return .unchanged }
        try await observers.handle(.strayPayment(order, amount: money, reference: reference), at: now, on: sql)
        return .strayRefundRequired(order.id, amount: money, reference: reference)
    }

    /// The provider refunded a stray payment up to `total`: its money leaves review.
    private func strayRefunded(_ payment: StrayPayment, total: Int64, currency: String, on sql: any SQLDatabase,
                               now: Timestamp) async throws -> PaymentOutcome {
        guard currency.uppercased() == payment.amount.currency.code else {
            throw WebhookPayloadError("refund currency \(currency) does not match stray payment \(payment.reference)'s \(payment.amount.currency.code)")
        }
        let newTotal = min(max(payment.refunded, total), payment.amount.minorUnits)
        guard newTotal > payment.refunded else { return .unchanged }
        guard try await StrayPaymentRepository(sql).recordRefunded(provider: payment.provider, reference: payment.reference,
                                                                   from: payment.refunded, to: newTotal) else { throw ConcurrentChange() }
        guard let order = try await OrderRepository(sql).find(payment.orderID) else { throw WebhookPayloadError("no order \(payment.orderID)") }
        try await RefundRepository(sql).settle(payment: payment.reference, order: order.id, at: now)
        try await observers.handle(.strayRefunded(order, amount: Money(minorUnits: newTotal - payment.refunded, currency: payment.amount.currency),
                                                  reference: payment.reference, refundedAfter: newTotal), at: now, on: sql)
        return .applied
    }

    /// What the payment of an order in review took, which the order could not keep; nil otherwise.
    static func heldPayment(of order: Order, on sql: any SQLDatabase) async throws -> Money? {
        guard order.status == .review else { return nil }
        return try await LedgerRepository(sql).forOrder(order.id).first { $0.kind == .held }.map { Money(minorUnits: $0.amount, currency: $0.currency) }
    }

    private func releaseSeats(of order: Order, on sql: any SQLDatabase) async throws {
        try await Self.releaseSeats(of: order, on: sql)
    }

    /// Gives back the seats the order holds or owns.
    static func releaseSeats(of order: Order, on sql: any SQLDatabase) async throws {
        let inventory = InventoryRepository(sql)
        for line in order.lines {
            switch order.seats {
            case .held: try await inventory.releaseHeld(line.variantID, line.quantity)
            case .sold: try await inventory.releaseSold(line.variantID, line.quantity)
            case .released: break
            }
        }
    }
}
