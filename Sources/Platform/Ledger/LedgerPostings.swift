import PluginKit
import SQLKit

/// Books the money of every paid order and every refund, in the transaction that records it. A
/// paid order's gross goes into its provider's clearing: the fee (the organizer's rate when the
/// order was placed) to the platform's revenue, the net to the organizer. A refund takes fee and net
/// back in proportion to what was booked (so a full refund returns exactly both) into `refunds`
/// when it is asked for, where no payout can send it; the provider's confirmation moves it from
/// there to its clearing, a refusal back where it came from.
package struct LedgerPostings: OrderLifecycleObserver {
    package init() {}

    package func handle(_ event: OrderLifecycleEvent, at time: Timestamp, on sql: any SQLDatabase) async throws {
        switch event {
        case let .paid(order):
            // A credit pack's purchase books credit, not an organizer's sale: the wallet's postings do.
            guard order.creditPackID == nil else { return }
            // Nothing in a batch of payments reads the ledger; any other command flushes the batch first.
            try await LedgerRepository(sql).postPayment(try await payment(of: order, at: time, on: sql))
        case let .refundRequested(order, refund, amount):
            // The hold release must not move the order's net between the read and the posting.
            try await OrderRepository(sql).lock([order.id])
            let booked = try await LedgerRepository(sql).forOrder(order.id)
            try await LedgerRepository(sql).post(reserve(amount, of: order, key: refund.rawValue, booked: booked, at: time))
        case let .refundFailed(order, refund, _):
            try await OrderRepository(sql).lock([order.id])
            try await LedgerRepository(sql).post(try await reversal(of: refund, order: order, at: time, on: sql))
        case let .refundSettled(order, amount, _):
            try await LedgerRepository(sql).post(try await refundPaid(amount, of: order, at: time, on: sql))
        case let .paymentHeld(order, amount):
            try await LedgerRepository(sql).post([
                Transfer(id: "held:\(order.id)", kind: .held, amount: amount, debit: .clearing(provider: order.provider),
                         credit: .review(provider: order.provider), organizerID: order.organizerID, orderID: order.id, bookedAt: time),
            ])
        case let .disputeOpened(order, dispute):
            try await LedgerRepository(sql).post(try await disputeOpened(order, dispute, at: time, on: sql))
        case let .disputeClosed(order, dispute, outcome):
            try await LedgerRepository(sql).post(try await disputeClosed(order, dispute, outcome: outcome, at: time, on: sql))
        case let .strayPayment(order, amount, reference):
            try await LedgerRepository(sql).post([
                Transfer(id: "stray:\(order.provider):\(reference)", kind: .stray, amount: amount, debit: .clearing(provider: order.provider),
                         credit: .review(provider: order.provider), organizerID: order.organizerID, orderID: order.id, bookedAt: time),
            ])
        case let .strayRefunded(order, amount, reference, after):
            try await LedgerRepository(sql).post([
                Transfer(id: "stray-refunded:\(order.provider):\(reference):\(after)", kind: .strayRefunded, amount: amount,
                         debit: .review(provider: order.provider), credit: .clearing(provider: order.provider), organizerID: order.organizerID,
                         orderID: order.id, bookedAt: time),
            ])
        case .refunded, .placed, .ended, .reviewed, .creditReturned:
            return
        }
    }

    /// The order's net and fee, out of its provider's clearing, at the fee rate of when the order
    /// was placed (the organizer's now, for an order placed before orders kept it).
    func payment(of order: Order, at time: Timestamp, on sql: any SQLDatabase) async throws -> [Transfer] {
        let policy: FeePolicy
        if let rate = order.feeBasisPoints {
            policy = FeePolicy.forOrganizer(feeBasisPoints: rate)
        } else {
            guard let organizer = try await OrganizerRepository(sql).find(order.organizerID) else { throw PlatformError.notFound("organizer") }
            policy = organizer.feePolicy
        }
        let split = try policy.split(order.total)
        if order.provider == Order.boxOfficeProvider {
            // The buyer paid the organizer at the door: only the platform's fee is on the books, as owed.
            return [Transfer(id: "box-office-fee:\(order.id)", kind: .boxOfficeFee, amount: split.fee, debit: .organizerReceivable(order.organizerID),
                             credit: .feeRevenue, organizerID: order.organizerID, orderID: order.id, bookedAt: time)].filter { $0.amount > 0 }
        }
        let clearing = LedgerAccount.clearing(provider: order.provider)
        return [
            Transfer(id: "order-net:\(order.id)", kind: .orderNet, amount: split.net, debit: clearing,
                     credit: .organizerPending(order.organizerID), organizerID: order.organizerID, orderID: order.id, bookedAt: time),
            Transfer(id: "order-fee:\(order.id)", kind: .orderFee, amount: split.fee, debit: clearing, credit: .feeRevenue,
                     organizerID: order.organizerID, orderID: order.id, bookedAt: time),
        ].filter { $0.amount > 0 }
    }

    /// Sets `amount` of the order aside in its provider's `refunds`: fee and net in proportion to
    /// the order's booked payment, or, for money held in review, out of review. `key` names the
    /// refund in the transfer ids: the refund's id, or the order and its refunded total after it.
    func reserve(_ amount: Int64, of order: Order, key: String, booked: [Transfer], at time: Timestamp) -> [Transfer] {
        let refunds = LedgerAccount.refunds(provider: order.provider)
        func transfer(_ prefix: String, _ kind: TransferKind, _ amount: Int64, debit: LedgerAccount, currency: Currency? = nil) -> Transfer {
            Transfer(id: "\(prefix):\(key)", kind: kind, amount: Money(minorUnits: amount, currency: currency ?? order.total.currency), debit: debit,
                     credit: refunds, organizerID: order.organizerID, orderID: order.id, bookedAt: time)
        }
        if let held = booked.first(where: { $0.kind == .held }) {
            let left = held.amount - Self.sum(booked, .refundHeld, .disputeReview) + Self.sum(booked, .refundHeldReversed, .disputeReviewReturned)
            // In the currency the provider took, which may not be the order's.
            return [transfer("refund-held", .refundHeld, min(amount, left), debit: .review(provider: order.provider), currency: held.currency)]
                .filter { $0.amount > 0 }
        }
        guard let parts = Self.parts(taking: amount, from: booked) else { return [] }
        // Once the order's net is available, the refund comes out of what is available (which may
        // then fall below zero, to be netted against later sales).
        return [
            transfer("refund-net", .refundNet, parts.net, debit: Self.organizerAccount(of: order, booked: booked)),
            transfer("refund-fee", .refundFee, parts.fee, debit: .feeRevenue),
        ].filter { $0.amount > 0 }
    }

    /// What a refused refund set aside, back where it came from (the net to wherever the order's
    /// net is now: it may have been released meanwhile).
    func reversal(of refund: RefundID, order: Order, at time: Timestamp, on sql: any SQLDatabase) async throws -> [Transfer] {
        let booked = try await LedgerRepository(sql).forOrder(order.id)
        let refunds = LedgerAccount.refunds(provider: order.provider)
        // At most what is still set aside for the order: a confirmation may have paid it already.
        var left = Self.reserved(in: booked, provider: order.provider)
        return booked.filter { $0.id.hasSuffix(":\(refund)") }.compactMap { part -> Transfer? in
            let (prefix, kind, credit): (String, TransferKind, LedgerAccount)
            switch part.kind {
            case .refundNet: (prefix, kind, credit) = ("refund-net-reversed", .refundNetReversed, Self.organizerAccount(of: order, booked: booked))
            case .refundFee: (prefix, kind, credit) = ("refund-fee-reversed", .refundFeeReversed, .feeRevenue)
            case .refundHeld: (prefix, kind, credit) = ("refund-held-reversed", .refundHeldReversed, .review(provider: order.provider))
            default: return nil
            }
            let amount = min(part.amount, left)
            left -= amount
            return Transfer(id: "\(prefix):\(refund)", kind: kind, amount: Money(minorUnits: amount, currency: part.currency), debit: refunds,
                            credit: credit, organizerID: order.organizerID, orderID: order.id, bookedAt: time)
        }.filter { $0.amount > 0 }
    }

    /// What the order's transfers hold in its provider's `refunds` now.
    static func reserved(in booked: [Transfer], provider: String) -> Int64 {
        let refunds = LedgerAccount.refunds(provider: provider).code
        return booked.reduce(0) { total, transfer in
            total + (transfer.credit == refunds ? transfer.amount : 0) - (transfer.debit == refunds ? transfer.amount : 0)
        }
    }

    /// The provider confirmed refunding `amount` more: out of `refunds` into its clearing. What was
    /// not set aside before (a refund made in the provider's dashboard) is set aside first.
    func refundPaid(_ amount: Int64, of order: Order, at time: Timestamp, on sql: any SQLDatabase) async throws -> [Transfer] {
        let booked = try await LedgerRepository(sql).forOrder(order.id)
        let reserved = Self.reserved(in: booked, provider: order.provider)
        guard let currency = booked.first?.currency else { return [] }
        let key = "\(order.id):\(order.refunded + amount)"
        let unreserved = reserve(max(0, amount - reserved), of: order, key: key, booked: booked, at: time)
        let covered = min(amount, reserved + unreserved.reduce(0) { $0 + $1.amount })
        return unreserved + [
            Transfer(id: "refund-paid:\(key)", kind: .refundPaid, amount: Money(minorUnits: covered, currency: currency), debit: .refunds(provider: order.provider),
                     credit: .clearing(provider: order.provider), organizerID: order.organizerID, orderID: order.id, bookedAt: time),
        ].filter { $0.amount > 0 }
    }

    /// What the transfers of these kinds add up to (minor units).
    static func sum(_ transfers: [Transfer], _ kinds: TransferKind...) -> Int64 { sum(transfers, kinds) }

    static func sum(_ transfers: [Transfer], _ kinds: [TransferKind]) -> Int64 {
        transfers.filter { kinds.contains($0.kind) }.reduce(0) { $0 + $1.amount }
    }

    /// The account an order's net is in now: available once released, else pending.
    static func organizerAccount(of order: Order, booked: [Transfer]) -> LedgerAccount {
        booked.contains { $0.kind == .release } ? .organizerAvailable(order.organizerID) : .organizerPending(order.organizerID)
    }

    /// The fee and net parts of taking `amount` more back from an order (a refund or a dispute), at
    /// most what is left of it, or nil when no payment of it is booked. Cumulative over everything taken back so far, so a
    /// full take returns exactly the fee and the net; once a won dispute or a refused refund gave something back, in
    /// proportion to what is left, which never takes more than is left of either part.
    static func parts(taking amount: Int64, from booked: [Transfer]) -> (fee: Int64, net: Int64)? {
        func sum(_ kinds: TransferKind...) -> Int64 { Self.sum(booked, kinds) }
        let (fee, net) = (sum(.orderFee), sum(.orderNet))
        guard fee + net > 0, let currency = booked.first?.currency else { return nil }
        let returned = (fee: sum(.disputeFeeReturned, .refundFeeReversed), net: sum(.disputeNetReturned, .refundNetReversed))
        let taken = (fee: sum(.refundFee, .disputeFee) - returned.fee, net: sum(.refundNet, .disputeNet) - returned.net)
        func split(fee: Int64, net: Int64) -> FeePolicy.Split {
            FeePolicy.Split(gross: Money(minorUnits: fee + net, currency: currency), fee: Money(minorUnits: fee, currency: currency),
                            net: Money(minorUnits: net, currency: currency))
        }
        let amount = min(amount, fee - taken.fee + net - taken.net)
        guard amount > 0 else { return (0, 0) }
        if returned.fee + returned.net == 0 {
            let before = taken.fee + taken.net
            return FeePolicy.refunded(split(fee: fee, net: net), from: before, to: before + amount)
        }
        return FeePolicy.refunded(split(fee: fee - taken.fee, net: net - taken.net), from: 0, to: amount)
    }
}
