import PluginKit

/// An account of the ledger. Each currency has a ledger of its own, so an account is one of these
/// in one currency. Asset accounts (money held for the platform) grow with debits; the others
/// (what the platform owes, or has earned) grow with credits.
package enum LedgerAccount: Hashable, Sendable {
    /// Money a payment provider holds for the platform: what buyers paid, less refunds (asset).
    case clearing(provider: String)
    /// The platform's fees (revenue).
    case feeRevenue
    /// An organizer's net of events not yet ended plus the hold period (liability).
    case organizerPending(OrganizerID)
    /// An organizer's net that a payout may send (liability; below zero after a refund or dispute
    /// of money already available or paid out, until the next payout run books it as receivable).
    case organizerAvailable(OrganizerID)
    /// What an organizer owes the platform (asset): an available balance that fell below zero,
    /// booked here by a payout run and paid back from its later sales before any payout.
    case organizerReceivable(OrganizerID)
    /// Money a provider took for orders that cannot keep it, owed back to the buyers (liability).
    case review(provider: String)
    /// Refunds asked of a provider and not yet confirmed by it: owed to buyers, so no payout sends
    /// them meanwhile (liability).
    case refunds(provider: String)
    /// An organizer's payouts sent and not yet settled (liability).
    case payoutsInTransit(OrganizerID)
    /// What has been paid out to an organizer, in all.
    case paidOut(OrganizerID)
    /// Money a provider withdrew for disputes not yet decided (asset: it may come back).
    case disputed(provider: String)
    /// What an organizer's open disputes hold back of its balance and the platform's fee (liability,
    /// settled by the outcome: back to where it came from when won, gone with the money when lost).
    case disputesHeld(OrganizerID)
    /// A buyer's credit that may be spent (liability: the platform owes it in tickets).
    case wallet(WalletID)
    /// A buyer's credit held by orders waiting for the rest of their payment (liability).
    case walletHeld(WalletID)
    /// What a buyer owes since a refunded pack's credit had been spent (asset), paid back out of the
    /// next credit the wallet receives.
    case walletOwed(WalletID)
    /// Credit the platform gave beyond what packs cost (an expense: grows with debits).
    case creditPromotions
    /// Credit that expired unspent (revenue).
    case creditExpired

    /// The account's code, as transfers store it: `clearing:stripe`, `organizer_pending:org_…`.
    package var code: String {
        switch self {
        case let .clearing(provider): "clearing:\(provider)"
        case .feeRevenue: "fee_revenue"
        case let .organizerPending(organizer): "organizer_pending:\(organizer)"
        case let .organizerAvailable(organizer): "organizer_available:\(organizer)"
        case let .organizerReceivable(organizer): "organizer_receivable:\(organizer)"
        case let .review(provider): "review:\(provider)"
        case let .refunds(provider): "refunds:\(provider)"
        case let .payoutsInTransit(organizer): "payouts_in_transit:\(organizer)"
        case let .paidOut(organizer): "paid_out:\(organizer)"
        case let .disputed(provider): "disputed:\(provider)"
        case let .disputesHeld(organizer): "disputes_held:\(organizer)"
        case let .wallet(wallet): "wallet:\(wallet)"
        case let .walletHeld(wallet): "wallet_held:\(wallet)"
        case let .walletOwed(wallet): "wallet_owed:\(wallet)"
        case .creditPromotions: "credit_promotions"
        case .creditExpired: "credit_expired"
        }
    }

    /// True for the code of an account whose balance is debits minus credits (a provider's clearing,
    /// money withdrawn for disputes, what an organizer or a buyer owes, the credit promotions' expense).
    package static func isAsset(code: String) -> Bool {
        code.hasPrefix("clearing:") || code.hasPrefix("disputed:") || code.hasPrefix("organizer_receivable:") || code.hasPrefix("wallet_owed:")
            || code == LedgerAccount.creditPromotions.code
    }

    /// The balance of an account with these totals, in the direction it grows.
    package static func balance(code: String, debits: Int64, credits: Int64) -> Int64 {
        isAsset(code: code) ? debits - credits : credits - debits
    }

    /// True for the code of an account that must never fall below zero: the assets, the platform's
    /// revenue, an organizer's pending net, money held in review or for disputes. (An organizer's
    /// available balance may: a refund after its net was available.)
    package static func mustStayNonNegative(code: String) -> Bool {
        isAsset(code: code) || code == LedgerAccount.feeRevenue.code || code == LedgerAccount.creditExpired.code
            || ["wallet:", "wallet_held:", "organizer_pending:", "review:", "refunds:", "disputes_held:", "payouts_in_transit:", "paid_out:"].contains { code.hasPrefix($0) }
    }
}

/// What a transfer records, for statements and checks.
package enum TransferKind: String, Sendable, Codable, CaseIterable {
    /// An order's net, from the provider's clearing to the organizer.
    case orderNet = "order_net"
    /// An order's fee, from the provider's clearing to the platform's revenue.
    case orderFee = "order_fee"
    /// The net part of a refund, from the organizer into `refunds` (when the refund is asked for,
    /// or when a provider reports one made elsewhere).
    case refundNet = "refund_net"
    /// The fee part of a refund, from the platform's revenue into `refunds`.
    case refundFee = "refund_fee"
    /// A refund the provider confirmed, from `refunds` back to its clearing.
    case refundPaid = "refund_paid"
    /// A refund the provider refused: its net back to the organizer.
    case refundNetReversed = "refund_net_reversed"
    /// A refund the provider refused: its fee back to the platform's revenue.
    case refundFeeReversed = "refund_fee_reversed"
    /// A refund of money held in review that the provider refused: back into review.
    case refundHeldReversed = "refund_held_reversed"
    /// An order's net (less what was refunded) made available for payouts once its hold ended.
    case release
    /// A payment the order cannot keep, from the provider's clearing into review.
    case held
    /// A refund of money held in review, from review into `refunds`.
    case refundHeld = "refund_held"
    /// A second payment an order cannot take, from the provider's clearing into review.
    case stray
    /// A stray payment the provider refunded, from review back to its clearing.
    case strayRefunded = "stray_refunded"
    /// A disputed amount the provider withdrew, from its clearing into `disputed`.
    case disputeWithdrawn = "dispute_withdrawn"
    /// The net part of a dispute, from the organizer into `disputes_held`.
    case disputeNet = "dispute_net"
    /// The fee part of a dispute, from the platform's revenue into `disputes_held`.
    case disputeFee = "dispute_fee"
    /// A dispute of money held in review, from review into `disputes_held`.
    case disputeReview = "dispute_review"
    /// A dispute of money set aside for a refund not yet confirmed, from `refunds` into
    /// `disputes_held` (the provider took it back, so the refund will not be paid).
    case disputeRefunds = "dispute_refunds"
    /// A dispute won: the provider gave the money back, from `disputed` into its clearing.
    case disputeReinstated = "dispute_reinstated"
    /// A dispute won: its net back to the organizer.
    case disputeNetReturned = "dispute_net_returned"
    /// A dispute won: its fee back to the platform's revenue.
    case disputeFeeReturned = "dispute_fee_returned"
    /// A dispute won: money held in review back to review.
    case disputeReviewReturned = "dispute_review_returned"
    /// A dispute won: money set aside for a refund back into `refunds`.
    case disputeRefundsReturned = "dispute_refunds_returned"
    /// A dispute lost: what it held goes with the money the provider withdrew.
    case disputeLost = "dispute_lost"
    /// A payout run books an available balance below zero as what the organizer owes: from
    /// `organizer_receivable` to available, which is back at zero.
    case receivableOwed = "receivable_owed"
    /// A payout run pays back what an organizer owes out of its available balance, before paying it.
    case receivableRepaid = "receivable_repaid"
    /// A payout sent: from the organizer's available balance into its payouts in transit.
    case payoutSent = "payout_sent"
    /// A payout confirmed: from in transit to paid out.
    case payoutSettled = "payout_settled"
    /// A payout that did not reach the organizer: from in transit back to available.
    case payoutFailed = "payout_failed"
    /// A settled payout that came back: from paid out back to available.
    case payoutReturned = "payout_returned"
    /// The platform's fee of a box office sale, whose money the organizer took at the door: what
    /// the organizer owes (`organizer_receivable`) to the platform's revenue; the next payout run
    /// pays it back out of the available balance.
    case boxOfficeFee = "box_office_fee"
    /// A credit pack paid: its price (at most its credit) from the provider's clearing into the wallet.
    case creditPurchased = "credit_purchased"
    /// A pack's credit beyond its price, from the platform's promotions into the wallet.
    case creditPromotion = "credit_promotion"
    /// A pack's price beyond its credit, from the provider's clearing to the platform's revenue.
    case creditMargin = "credit_margin"
    /// New credit pays back what the wallet owes: from the wallet to `wallet_owed`.
    case creditOwedSettled = "credit_owed_settled"
    /// An order holds credit while the rest of its payment is open: from the wallet to `wallet_held`.
    case creditHeld = "credit_held"
    /// The order ended unpaid: its held credit back to the wallet.
    case creditReleased = "credit_released"
    /// The order is paid: its held credit into its provider's clearing, which books the order's fee and
    /// net as for any payment.
    case creditSpent = "credit_spent"
    /// The credit part of a refund, from the provider's `refunds` back into the wallet.
    case creditReturned = "credit_returned"
    /// A pack purchase refunded: its credit, from the wallet into the provider's `refunds`.
    case creditRemoved = "credit_removed"
    /// A pack purchase refunded after its credit was spent: the shortfall, from `wallet_owed`.
    case creditRemovedOwed = "credit_removed_owed"
    /// A pack purchase refunded after its credit expired: the expired credit, from `credit_expired`
    /// into the provider's `refunds` (the platform kept it as revenue; it goes back with the money).
    case creditExpiredRemoved = "credit_expired_removed"
    /// A refunded pack's promotion: from the wallet (or `wallet_owed`) back to the promotions.
    case creditPromotionRemoved = "credit_promotion_removed"
    /// A refunded pack's margin: from the platform's revenue into the provider's `refunds`.
    case creditMarginRemoved = "credit_margin_removed"
    /// A pack refund the provider refused: one of its removals, back where it came from.
    case creditRemovalReversed = "credit_removal_reversed"
    /// Credit that reached its grant's expiry unspent: from the wallet to `credit_expired`.
    case creditExpired = "credit_expired"
    /// A chargeback of a pack purchase: its credit, from the wallet (or `wallet_owed`) into the
    /// platform's `disputes_held` until the dispute is decided.
    case disputeCredit = "dispute_credit"
    /// A pack's dispute won: its credit back to the wallet (or what is still owed).
    case disputeCreditReturned = "dispute_credit_returned"
}

/// A positive amount (minor units of `currency`) moved from one account to another. Its id is
/// derived from the business event, so posting it twice changes nothing; posting the same id with
/// other content is an error.
package struct Transfer: Hashable, Sendable {
    package let id: String
    package let kind: TransferKind
    package let currency: Currency
    /// Minor units, more than zero.
    package let amount: Int64
    package let debit: String
    package let credit: String
    package let organizerID: OrganizerID?
    package let orderID: OrderID?
    package let payoutID: PayoutID?
    package let bookedAt: Timestamp

    package init(id: String, kind: TransferKind, amount: Money, debit: LedgerAccount, credit: LedgerAccount, organizerID: OrganizerID?,
                 orderID: OrderID?, payoutID: PayoutID? = nil, bookedAt: Timestamp) {
        self.init(id: id, kind: kind, amount: amount, debitCode: debit.code, creditCode: credit.code, organizerID: organizerID,
                  orderID: orderID, payoutID: payoutID, bookedAt: bookedAt)
    }

    /// A transfer as stored, its accounts by code.
    package init(id: String, kind: TransferKind, amount: Money, debitCode: String, creditCode: String, organizerID: OrganizerID?,
                 orderID: OrderID?, payoutID: PayoutID? = nil, bookedAt: Timestamp) {
        self.id = id
        self.kind = kind
        self.currency = amount.currency
        self.amount = amount.minorUnits
        self.debit = debitCode
        self.credit = creditCode
        self.organizerID = organizerID
        self.orderID = orderID
        self.payoutID = payoutID
        self.bookedAt = bookedAt
    }

    /// Whether `other` records the same movement (its booking time aside): a repeat, not a conflict.
    package func sameMovement(as other: Transfer) -> Bool {
        id == other.id && kind == other.kind && currency == other.currency && amount == other.amount && debit == other.debit
            && credit == other.credit && organizerID == other.organizerID && orderID == other.orderID && payoutID == other.payoutID
    }
}
