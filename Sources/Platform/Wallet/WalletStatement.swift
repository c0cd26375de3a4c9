import PluginKit

/// One movement of a wallet as its buyer sees it: what it did to the credit that may be spent
/// (`amount`) and to what the buyer owes (`owed`), both signed minor units, and why.
package struct WalletMovement: Sendable, Hashable {
    /// `pack_purchased`, `pack_bonus`, `order` (credit taken by an order), `order_released` (the
    /// order ended unpaid), `refund`, `pack_refunded`, `pack_refund_reversed`, `pack_disputed` (a
    /// chargeback of the purchase holds its credit), `pack_dispute_won`, `owed_settled`, `expired`.
    package let reason: String
    package let currency: Currency
    package let amount: Int64
    package let owed: Int64
    package let orderID: OrderID?
    package let creditPackID: CreditPackID?
    package let at: Timestamp
}

/// A wallet's balances and movements.
package struct WalletStatement: Sendable {
    package let email: String
    package let balances: [WalletBalance]
    package let movements: [WalletMovement]

    static func reason(of transfer: Transfer) -> String? {
        // A bonus taken back or given back with a dispute is part of that dispute.
        if transfer.id.contains("credit-promotion-disputed") {
            return transfer.kind == .creditRemovalReversed ? "pack_dispute_won" : "pack_disputed"
        }
        return reason(of: transfer.kind)
    }

    static func reason(of kind: TransferKind) -> String? {
        switch kind {
        case .creditPurchased: "pack_purchased"
        case .creditPromotion: "pack_bonus"
        case .creditHeld: "order"
        case .creditReleased: "order_released"
        case .creditReturned: "refund"
        case .creditRemoved, .creditRemovedOwed, .creditPromotionRemoved: "pack_refunded"
        case .creditRemovalReversed: "pack_refund_reversed"
        case .creditOwedSettled: "owed_settled"
        case .creditExpired: "expired"
        case .disputeCredit: "pack_disputed"
        case .disputeCreditReturned: "pack_dispute_won"
        default: nil
        }
    }

    /// Where a transfer comes among those booked in the same millisecond (one transaction): credit
    /// arriving before what it pays for, as `CreditLedger` books them.
    static let sequence: [TransferKind] = [
        .creditPurchased, .creditPromotion, .creditReleased, .creditReturned, .creditRemovalReversed, .disputeCreditReturned, .creditHeld,
        .creditRemoved, .creditRemovedOwed, .disputeCredit, .creditPromotionRemoved, .creditOwedSettled, .creditExpired,
    ]

    /// The movements of these transfers (a wallet's, as `LedgerRepository.forWallet` reads them), newest first.
    static func movements(_ transfers: [Transfer], wallet: WalletID, packs: [OrderID: CreditPackID]) -> [WalletMovement] {
        let (available, owed) = (LedgerAccount.wallet(wallet).code, LedgerAccount.walletOwed(wallet).code)
        func rank(_ transfer: Transfer) -> Int { sequence.firstIndex(of: transfer.kind) ?? sequence.count }
        let ordered = transfers.sorted { ($0.bookedAt, rank($0), $0.id) < ($1.bookedAt, rank($1), $1.id) }
        return ordered.compactMap { transfer -> WalletMovement? in
            guard let reason = reason(of: transfer) else { return nil }
            func delta(_ account: String) -> Int64 {
                (transfer.credit == account ? transfer.amount : 0) - (transfer.debit == account ? transfer.amount : 0)
            }
            // What is owed is an asset of the platform: it grows with debits.
            let (amount, owedDelta) = (delta(available), -delta(owed))
            guard amount != 0 || owedDelta != 0 else { return nil }
            return WalletMovement(reason: reason, currency: transfer.currency, amount: amount, owed: owedDelta, orderID: transfer.orderID,
                                  creditPackID: transfer.orderID.flatMap { packs[$0] }, at: transfer.bookedAt)
        }.reversed()
    }
}
