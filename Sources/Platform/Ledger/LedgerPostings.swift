import PluginKit
import SQLKit

/// Books the money of every paid order and every confirmed refund, in the transaction that records
/// it. A paid order's gross goes into its provider's clearing: the fee (the organizer's rate when
/// the order was placed) to the platform's revenue, the net to the organizer. A refund takes fee and net
/// back in proportion to what was booked, so a full refund returns exactly both.
package struct LedgerPostings: OrderLifecycleObserver {
    package init() {}

    package func handle(_ event: OrderLifecycleEvent, at time: Timestamp, on sql: any SQLDatabase) async throws {
        switch event {
        case let .paid(order):
            try await LedgerRepository(sql).post(try await payment(of: order, at: time, on: sql))
        case let .refundSettled(order, amount, _):
            try await LedgerRepository(sql).post(try await refund(of: order, amount: amount, at: time, on: sql))
        case let .paymentHeld(order, amount):
            try await LedgerRepository(sql).post([
                Transfer(id: "held:\(order.id)", kind: .held, amount: amount, debit: .clearing(provider: order.provider),
                         credit: .review(provider: order.provider), organizerID: order.organizerID, orderID: order.id, bookedAt: time),
            ])
        case let .disputeOpened(order, dispute):
            try await LedgerRepository(sql).post(try await disputeOpened(order, dispute, at: time, on: sql))
        case let .disputeClosed(order, dispute, outcome):
            try await LedgerRepository(sql).post(try await disputeClosed(order, dispute, outcome: outcome, at: time, on: sql))
        case .refunded, .refundFailed:
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
        let clearing = LedgerAccount.clearing(provider: order.provider)
        return [
            Transfer(id: "order-net:\(order.id)", kind: .orderNet, amount: split.net, debit: clearing,
                     credit: .organizerPending(order.organizerID), organizerID: order.organizerID, orderID: order.id, bookedAt: time),
            Transfer(id: "order-fee:\(order.id)", kind: .orderFee, amount: split.fee, debit: clearing, credit: .feeRevenue,
                     organizerID: order.organizerID, orderID: order.id, bookedAt: time),
        ].filter { $0.amount > 0 }
    }

    /// The refund of `amount` more (the order's `refunded` is what came before): fee and net in
    /// proportion to the order's booked payment, or, for money held in review, out of review.
    func refund(of order: Order, amount: Int64, at time: Timestamp, on sql: any SQLDatabase) async throws -> [Transfer] {
        let booked = try await LedgerRepository(sql).forOrder(order.id)
        let after = order.refunded + amount
        if let held = booked.first(where: { $0.kind == .held }) {
            return [
                Transfer(id: "refund-held:\(order.id):\(after)", kind: .refundHeld, amount: Money(minorUnits: amount, currency: held.currency),
                         debit: .review(provider: order.provider), credit: .clearing(provider: order.provider), organizerID: order.organizerID,
                         orderID: order.id, bookedAt: time),
            ]
        }
        guard let parts = Self.parts(taking: amount, from: booked) else { return [] }
        let currency = order.total.currency
        let clearing = LedgerAccount.clearing(provider: order.provider)
        // Once the order's net is available, the refund comes out of what is available (which may
        // then fall below zero, to be netted against later sales).
        let organizer = Self.organizerAccount(of: order, booked: booked)
        return [
            Transfer(id: "refund-net:\(order.id):\(after)", kind: .refundNet, amount: Money(minorUnits: parts.net, currency: currency),
                     debit: organizer, credit: clearing, organizerID: order.organizerID, orderID: order.id, bookedAt: time),
            Transfer(id: "refund-fee:\(order.id):\(after)", kind: .refundFee, amount: Money(minorUnits: parts.fee, currency: currency),
                     debit: .feeRevenue, credit: clearing, organizerID: order.organizerID, orderID: order.id, bookedAt: time),
        ].filter { $0.amount > 0 }
    }

    /// The account an order's net is in now: available once released, else pending.
    static func organizerAccount(of order: Order, booked: [Transfer]) -> LedgerAccount {
        booked.contains { $0.kind == .release } ? .organizerAvailable(order.organizerID) : .organizerPending(order.organizerID)
    }

    /// The fee and net parts of taking `amount` more back from an order (a refund or a dispute), at
    /// most what is left of it, or nil when no payment of it is booked. Cumulative over everything taken back so far, so a
    /// full take returns exactly the fee and the net; once a won dispute gave something back, in
    /// proportion to what is left, which never takes more than is left of either part.
    static func parts(taking amount: Int64, from booked: [Transfer]) -> (fee: Int64, net: Int64)? {
        func sum(_ kinds: TransferKind...) -> Int64 { booked.filter { kinds.contains($0.kind) }.reduce(0) { $0 + $1.amount } }
        let (fee, net) = (sum(.orderFee), sum(.orderNet))
        guard fee + net > 0, let currency = booked.first?.currency else { return nil }
        let returned = (fee: sum(.disputeFeeReturned), net: sum(.disputeNetReturned))
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
