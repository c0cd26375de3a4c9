import PluginKit
import SQLKit

/// Follows orders for the wallet: a paid pack purchase grants its credit, a paid order spends the
/// credit it held, an order that ends unpaid or goes to review gives it back, a credit refund
/// returns it, and a refunded or disputed pack purchase takes its credit away (a dispute won gives
/// it back). Runs after the ledger's own postings.
package struct WalletPostings: OrderLifecycleObserver {
    let credit = CreditLedger()

    package init() {}

    package func handle(_ event: OrderLifecycleEvent, at time: Timestamp, on sql: any SQLDatabase) async throws {
        switch event {
        case let .paid(order):
            if let pack = try await pack(of: order, on: sql) { try await credit.grant(order, pack: pack, at: time, on: sql) }
            if order.creditAmount > 0 { try await credit.post(order, at: time, on: sql) }
        case let .ended(order, _), let .reviewed(order, _):
            if order.creditAmount > 0 { try await credit.release(order, at: time, on: sql) }
        case let .creditReturned(order, refund, amount):
            try await credit.returned(order, refund: refund, amount: amount, at: time, on: sql)
        case let .refundRequested(order, refund, amount):
            if let pack = try await pack(of: order, on: sql) {
                try await credit.remove(order, pack: pack, refund: refund, amount: amount, at: time, on: sql)
            }
        case let .refundFailed(order, refund, _):
            if order.creditPackID != nil { try await credit.reverseRemoval(order, refund: refund, at: time, on: sql) }
        case let .disputeOpened(order, dispute):
            if let pack = try await pack(of: order, on: sql) { try await credit.disputeOpened(order, pack: pack, dispute, at: time, on: sql) }
        case let .disputeClosed(order, dispute, outcome):
            if outcome == .won, order.creditPackID != nil { try await credit.disputeReturned(order, dispute, at: time, on: sql) }
        case let .refundSettled(order, amount, _):
            if let pack = try await pack(of: order, on: sql) { try await credit.settled(order, pack: pack, amount: amount, at: time, on: sql) }
        case .placed, .refunded, .paymentHeld, .strayPayment, .strayRefunded:
            return
        }
    }

    private func pack(of order: Order, on sql: any SQLDatabase) async throws -> CreditPack? {
        guard let id = order.creditPackID else { return nil }
        guard let pack = try await CreditPackRepository(sql).find(id) else { throw PlatformError.notFound("credit pack") }
        return pack
    }
}
