import PluginKit
import SQLKit

/// Who bears a chargeback: the provider withdraws the disputed amount from the platform's clearing
/// at once; the ledger takes it back from the order's parts as a refund would (the net from the
/// organizer, the fee from the platform's revenue, in proportion) into the organizer's
/// `disputes_held`, so no payout can send it while the dispute is open. Won, every part goes back
/// where it came from and the money into clearing; lost, the held parts go with the money.
/// Of an order refunded before, only what is left is held: a dispute of money already refunded is
/// for the provider's evidence, and is not booked. Providers' own dispute fees are not booked here.
extension LedgerPostings {
    func disputeOpened(_ order: Order, _ dispute: OrderDispute, at time: Timestamp, on sql: any SQLDatabase) async throws -> [Transfer] {
        let booked = try await LedgerRepository(sql).forOrder(order.id)
        let key = Self.key(order, dispute)
        let (amount, currency, organizer) = (dispute.amount.minorUnits, dispute.amount.currency, order.organizerID)
        func transfer(_ prefix: String, _ kind: TransferKind, _ amount: Int64, debit: LedgerAccount, credit: LedgerAccount) -> Transfer {
            Transfer(id: "\(prefix):\(key)", kind: kind, amount: Money(minorUnits: amount, currency: currency), debit: debit, credit: credit,
                     organizerID: organizer, orderID: order.id, bookedAt: time)
        }
        func withdrawn(_ amount: Int64) -> Transfer {
            transfer("dispute", .disputeWithdrawn, amount, debit: .disputed(provider: order.provider), credit: .clearing(provider: order.provider))
        }
        // Money set aside for a refund not yet confirmed is still in clearing: the provider takes
        // it too, after the order's own parts.
        let reserved = Self.reserved(in: booked, provider: order.provider)
        func fromRefunds(after taken: Int64) -> Transfer {
            transfer("dispute-refunds", .disputeRefunds, min(max(0, amount - taken), reserved), debit: .refunds(provider: order.provider),
                     credit: .disputesHeld(organizer))
        }
        if let held = booked.first(where: { $0.kind == .held }) {
            let left = min(amount, held.amount - Self.sum(booked, .refundHeld, .disputeReview)
                           + Self.sum(booked, .refundHeldReversed, .disputeReviewReturned))
            let refunds = fromRefunds(after: left)
            return [withdrawn(left + refunds.amount), transfer("dispute-review", .disputeReview, left, debit: .review(provider: order.provider),
                                                               credit: .disputesHeld(organizer)), refunds].filter { $0.amount > 0 }
        }
        guard let parts = Self.parts(taking: amount, from: booked) else { return [] }
        let refunds = fromRefunds(after: parts.fee + parts.net)
        return [
            withdrawn(parts.fee + parts.net + refunds.amount),
            transfer("dispute-net", .disputeNet, parts.net, debit: Self.organizerAccount(of: order, booked: booked), credit: .disputesHeld(organizer)),
            transfer("dispute-fee", .disputeFee, parts.fee, debit: .feeRevenue, credit: .disputesHeld(organizer)),
            refunds,
        ].filter { $0.amount > 0 }
    }

    func disputeClosed(_ order: Order, _ dispute: OrderDispute, outcome: DisputeOutcome, at time: Timestamp,
                       on sql: any SQLDatabase) async throws -> [Transfer] {
        let booked = try await LedgerRepository(sql).forOrder(order.id)
        let key = Self.key(order, dispute)
        let taken = booked.filter { $0.id.hasSuffix(":\(key)") }
        guard let withdrawn = taken.first(where: { $0.kind == .disputeWithdrawn }) else { return [] }
        let (currency, organizer) = (withdrawn.currency, order.organizerID)
        func transfer(_ prefix: String, _ kind: TransferKind, _ amount: Int64, debit: LedgerAccount, credit: LedgerAccount) -> Transfer {
            Transfer(id: "\(prefix):\(key)", kind: kind, amount: Money(minorUnits: amount, currency: currency), debit: debit, credit: credit,
                     organizerID: organizer, orderID: order.id, bookedAt: time)
        }
        let provider = order.provider
        switch outcome {
        case .lost:
            return [transfer("dispute-lost", .disputeLost, withdrawn.amount, debit: .disputesHeld(organizer), credit: .disputed(provider: provider))]
        case .won:
            var back = [transfer("dispute-reinstated", .disputeReinstated, withdrawn.amount, debit: .clearing(provider: provider),
                                 credit: .disputed(provider: provider))]
            for part in taken {
                switch part.kind {
                case .disputeNet:
                    // Back into what holds the order's net now: it may have been released meanwhile.
                    back.append(transfer("dispute-net-returned", .disputeNetReturned, part.amount, debit: .disputesHeld(organizer),
                                         credit: Self.organizerAccount(of: order, booked: booked)))
                case .disputeFee:
                    back.append(transfer("dispute-fee-returned", .disputeFeeReturned, part.amount, debit: .disputesHeld(organizer), credit: .feeRevenue))
                case .disputeReview:
                    back.append(transfer("dispute-review-returned", .disputeReviewReturned, part.amount, debit: .disputesHeld(organizer),
                                         credit: .review(provider: provider)))
                case .disputeRefunds:
                    back.append(transfer("dispute-refunds-returned", .disputeRefundsReturned, part.amount, debit: .disputesHeld(organizer),
                                         credit: .refunds(provider: provider)))
                default:
                    continue
                }
            }
            return back
        }
    }

    /// What a dispute's transfer ids end with: the order, the provider and its id of the dispute.
    static func key(_ order: Order, _ dispute: OrderDispute) -> String { "\(order.id):\(dispute.provider):\(dispute.id)" }
}
