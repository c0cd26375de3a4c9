import PluginKit
import SQLKit

/// Taking a pack's credit back when its purchase is refunded or disputed, and giving it back when
/// the refund is refused or the dispute won. The credit goes in proportion to the money taken back
/// (`CreditPack.creditTaken`), out of the wallet (the pack's own grant first, then the oldest);
/// what the wallet no longer has is recorded as owed. Of the credit, as much as the money goes
/// where the money went (the provider's `refunds`, the platform's `disputes_held`); a bonus goes back
/// to the promotions, and a margin comes out of the platform's revenue.
extension CreditLedger {
    /// A refund of `amount` more of a pack purchase was asked for: its credit into the provider's `refunds`.
    func remove(_ order: Order, pack: CreditPack, refund: RefundID, amount: Int64, at time: Timestamp, on sql: any SQLDatabase) async throws {
        try await recall(order, pack: pack, amount: amount, into: .refunds(provider: order.provider), at: time, on: sql,
                         names: .refund(key: refund.rawValue))
    }

    /// The provider refunded `amount` more of a pack purchase that no refund here had set aside (one
    /// made in its dashboard, or one recorded as failed after a timeout the provider went through
    /// with): its credit is taken back now and the refund paid out of `refunds`, after the ledger's
    /// own settlement of what was set aside.
    func settled(_ order: Order, pack: CreditPack, amount: Int64, at time: Timestamp, on sql: any SQLDatabase) async throws {
        let booked = try await LedgerRepository(sql).forOrder(order.id)
        let after = order.refunded + amount
        let uncovered = after - LedgerPostings.sum(booked, .refundPaid)
        guard uncovered > 0 else { return }
        let key = "\(order.id):\(after)"
        try await recall(order, pack: pack, amount: uncovered, into: .refunds(provider: order.provider), at: time, on: sql, names: .refund(key: key))
        try await LedgerRepository(sql).post([
            Transfer(id: "refund-paid-recalled:\(key)", kind: .refundPaid, amount: Money(minorUnits: uncovered, currency: order.total.currency),
                     debit: .refunds(provider: order.provider), credit: .clearing(provider: order.provider), organizerID: nil, orderID: order.id,
                     bookedAt: time),
        ])
    }

    /// A chargeback of a pack purchase: what is left of its money and credit is held in the
    /// platform's `disputes_held` until decided; the provider's withdrawal leaves its clearing.
    func disputeOpened(_ order: Order, pack: CreditPack, _ dispute: OrderDispute, at time: Timestamp, on sql: any SQLDatabase) async throws {
        let key = LedgerPostings.key(order, dispute)
        let booked = try await LedgerRepository(sql).forOrder(order.id)
        guard !booked.contains(where: { $0.id == "dispute:\(key)" }) else { return }
        let amount = min(dispute.amount.minorUnits, max(0, order.total.minorUnits - Self.moneyTakenBack(booked, provider: order.provider)))
        guard amount > 0 else { return }
        try await LedgerRepository(sql).post([
            Transfer(id: "dispute:\(key)", kind: .disputeWithdrawn, amount: Money(minorUnits: amount, currency: order.total.currency),
                     debit: .disputed(provider: order.provider), credit: .clearing(provider: order.provider), organizerID: order.organizerID,
                     orderID: order.id, bookedAt: time),
        ])
        try await recall(order, pack: pack, amount: amount, into: .disputesHeld(order.organizerID), at: time, on: sql, names: Names(
            key: key, held: "dispute-credit", kinds: (.disputeCredit, .disputeCredit, .disputeCredit), promotion: "credit-promotion-disputed",
            margin: ("dispute-fee", .disputeFee)))
    }

    /// The pack's dispute was won: its credit back to the wallet (its margin goes back to revenue
    /// with the ledger's own dispute postings).
    func disputeReturned(_ order: Order, _ dispute: OrderDispute, at time: Timestamp, on sql: any SQLDatabase) async throws {
        let key = LedgerPostings.key(order, dispute)
        let parts = try await LedgerRepository(sql).forOrder(order.id).filter {
            $0.id.hasSuffix(":\(key)") && ($0.kind == .disputeCredit || $0.kind == .creditPromotionRemoved)
        }
        try await giveBack(order, parts, kind: { $0.kind == .disputeCredit ? .disputeCreditReturned : .creditRemovalReversed }, at: time, on: sql)
    }

    /// The provider refused a pack refund: what it removed goes back where it came from.
    func reverseRemoval(_ order: Order, refund: RefundID, at time: Timestamp, on sql: any SQLDatabase) async throws {
        let removals: [TransferKind] = [.creditRemoved, .creditRemovedOwed, .creditExpiredRemoved, .creditPromotionRemoved, .creditMarginRemoved]
        let parts = try await LedgerRepository(sql).forOrder(order.id).filter { removals.contains($0.kind) && $0.id.hasSuffix(":\(refund)") }
        try await giveBack(order, parts, kind: { _ in .creditRemovalReversed }, at: time, on: sql)
    }

    /// The money of a pack purchase refunds and disputes have taken back so far (minor units): set
    /// aside for refunds, or withdrawn by disputes not won.
    static func moneyTakenBack(_ booked: [Transfer], provider: String) -> Int64 {
        let refunds = LedgerAccount.refunds(provider: provider).code
        let reversed = booked.filter { $0.kind == .creditRemovalReversed && $0.debit == refunds }.reduce(0) { $0 + $1.amount }
        return LedgerPostings.sum(booked, .creditRemoved, .creditRemovedOwed, .creditExpiredRemoved, .creditMarginRemoved) - reversed
            + LedgerPostings.sum(booked, .disputeWithdrawn) - LedgerPostings.sum(booked, .disputeReinstated)
    }

    /// The transfer ids (a prefix, then `:key`) and kinds of one recall: the credit's part that goes
    /// where the money went (`held`, from the wallet, what is owed and what expired), the bonus's
    /// part back to the promotions, and the margin.
    struct Names {
        let key: String
        let held: String
        let kinds: (wallet: TransferKind, owed: TransferKind, expired: TransferKind)
        let promotion: String
        let margin: (String, TransferKind)

        static func refund(key: String) -> Names {
            Names(key: key, held: "credit-removed", kinds: (.creditRemoved, .creditRemovedOwed, .creditExpiredRemoved),
                  promotion: "credit-promotion-removed", margin: ("credit-margin-removed", .creditMarginRemoved))
        }
    }

    private func recall(_ order: Order, pack: CreditPack, amount: Int64, into destination: LedgerAccount, at time: Timestamp,
                        on sql: any SQLDatabase, names: Names) async throws {
        let wallets = WalletRepository(sql)
        guard let found = try await wallets.grant(packOrder: order.id) else { return }
        let wallet = found.wallet, currency = found.amount.currency
        let balance = try await wallets.lockedBalance(wallet, currency: currency)
        guard let packGrant = try await wallets.grant(found.id) else { return }
        let booked = try await LedgerRepository(sql).forOrder(order.id)
        // Money taken back before this: what this recall's own transfers booked is not counted yet.
        let before = Self.moneyTakenBack(booked.filter { !$0.id.hasSuffix(":\(names.key)") }, provider: order.provider)
        let credit = pack.creditTaken(whenRefunded: before + amount) - pack.creditTaken(whenRefunded: before)
        // Credit of this pack that expired went to the platform's revenue: it is taken back from there, not twice from the wallet.
        let expiredCode = LedgerAccount.creditExpired.code
        let expiredTaken = booked.reduce(Int64(0)) { total, transfer in
            total + (transfer.debit == expiredCode ? transfer.amount : 0) - (transfer.credit == expiredCode && transfer.kind != .creditExpired ? transfer.amount : 0)
        }
        let fromExpired = min(credit, max(0, packGrant.expired - expiredTaken))
        let fromWallet = min(credit - fromExpired, balance.available), fromOwed = credit - fromExpired - fromWallet
        try await takeFromGrants(wallet, currency, fromWallet, first: packGrant.id, on: sql)
        try await wallets.adjust(wallet, currency, available: -fromWallet, owed: fromOwed)
        func transfer(_ prefix: String, _ kind: TransferKind, _ amount: Int64, _ debit: LedgerAccount, _ credit: LedgerAccount) -> Transfer {
            Transfer(id: "\(prefix):\(names.key)", kind: kind, amount: Money(minorUnits: amount, currency: currency), debit: debit, credit: credit,
                     organizerID: nil, orderID: order.id, bookedAt: time)
        }
        // As much of the credit as the money goes where the money went; the rest is a bonus, back to the promotions.
        var toDestination = min(credit, amount)
        var transfers: [Transfer] = []
        let sources: [(tag: String, kind: TransferKind, account: LedgerAccount, amount: Int64)] = [
            ("-expired", names.kinds.expired, .creditExpired, fromExpired), ("", names.kinds.wallet, .wallet(wallet), fromWallet),
            ("-owed", names.kinds.owed, .walletOwed(wallet), fromOwed),
        ]
        for source in sources {
            let held = min(source.amount, toDestination)
            toDestination -= held
            transfers.append(transfer(names.held + source.tag, source.kind, held, source.account, destination))
            transfers.append(transfer(names.promotion + source.tag, .creditPromotionRemoved, source.amount - held, source.account, .creditPromotions))
        }
        transfers.append(transfer(names.margin.0, names.margin.1, amount - min(credit, amount), .feeRevenue, destination))
        try await LedgerRepository(sql).post(transfers.filter { $0.amount > 0 })
    }

    /// Moves each part back from where it went to where it came from (`kind` names each return).
    /// What was recorded as owed and has been paid since goes back into the wallet instead, as does
    /// credit given back to a wallet that owes: it pays that first.
    private func giveBack(_ order: Order, _ parts: [Transfer], kind: (Transfer) -> TransferKind, at time: Timestamp,
                          on sql: any SQLDatabase) async throws {
        let wallets = WalletRepository(sql)
        guard !parts.isEmpty, let packGrant = try await wallets.grant(packOrder: order.id) else { return }
        let wallet = packGrant.wallet, currency = packGrant.amount.currency
        var owed = try await wallets.lockedBalance(wallet, currency: currency).owed
        var transfers: [Transfer] = []
        var toWallet: Int64 = 0
        for part in parts {
            func back(_ amount: Int64, to credit: String, suffix: String = "") -> Transfer {
                Transfer(id: "reversed\(suffix):\(part.id)", kind: kind(part), amount: Money(minorUnits: amount, currency: part.currency),
                         debitCode: part.credit, creditCode: credit, organizerID: nil, orderID: order.id, bookedAt: time)
            }
            if part.debit == LedgerAccount.walletOwed(wallet).code {
                let settled = min(part.amount, owed)
                owed -= settled
                transfers += [back(settled, to: part.debit), back(part.amount - settled, to: LedgerAccount.wallet(wallet).code, suffix: "-to-wallet")]
                toWallet += part.amount - settled
                try await wallets.adjust(wallet, currency, owed: -settled)
            } else {
                transfers.append(back(part.amount, to: part.debit))
                if part.debit == LedgerAccount.wallet(wallet).code { toWallet += part.amount }
            }
        }
        try await wallets.adjust(wallet, currency, available: toWallet)
        try await wallets.giveToGrant(packGrant.id, toWallet)
        try await LedgerRepository(sql).post(transfers.filter { $0.amount > 0 })
        try await settleOwed(wallet, currency, key: "given-back:\(parts[0].id)", at: time, on: sql)
    }
}
