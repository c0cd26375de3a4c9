import PluginKit
import SQLKit

/// Books the money of every paid order and every confirmed refund, in the transaction that records
/// it. A paid order's gross goes into its provider's clearing: the fee (the organizer's rate at the
/// time of payment) to the platform's revenue, the net to the organizer. A refund takes fee and net
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
        case .refunded, .refundFailed:
            return
        }
    }

    /// The order's net and fee, out of its provider's clearing.
    func payment(of order: Order, at time: Timestamp, on sql: any SQLDatabase) async throws -> [Transfer] {
        guard let organizer = try await OrganizerRepository(sql).find(order.organizerID) else { throw PlatformError.notFound("organizer") }
        let split = try organizer.feePolicy.split(order.total)
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
        let fee = booked.filter { $0.kind == .orderFee }.reduce(0) { $0 + $1.amount }
        let net = booked.filter { $0.kind == .orderNet }.reduce(0) { $0 + $1.amount }
        guard fee + net > 0 else { return [] }
        let currency = order.total.currency
        let split = FeePolicy.Split(gross: Money(minorUnits: fee + net, currency: currency), fee: Money(minorUnits: fee, currency: currency),
                                    net: Money(minorUnits: net, currency: currency))
        let parts = FeePolicy.refunded(split, from: order.refunded, to: after)
        let clearing = LedgerAccount.clearing(provider: order.provider)
        // Once the order's net is available, the refund comes out of what is available (which may
        // then fall below zero, to be netted against later sales).
        let released = booked.contains { $0.kind == .release }
        let organizer: LedgerAccount = released ? .organizerAvailable(order.organizerID) : .organizerPending(order.organizerID)
        return [
            Transfer(id: "refund-net:\(order.id):\(after)", kind: .refundNet, amount: Money(minorUnits: parts.net, currency: currency),
                     debit: organizer, credit: clearing, organizerID: order.organizerID, orderID: order.id, bookedAt: time),
            Transfer(id: "refund-fee:\(order.id):\(after)", kind: .refundFee, amount: Money(minorUnits: parts.fee, currency: currency),
                     debit: .feeRevenue, credit: clearing, organizerID: order.organizerID, orderID: order.id, bookedAt: time),
        ].filter { $0.amount > 0 }
    }
}
