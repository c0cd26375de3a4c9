import PluginKit
import SQLKit

/// Every movement of buyer credit, inside the caller's transaction: the wallet's balance row and
/// grants change with the ledger transfers that book them, so `available` always equals both the
/// wallet account's balance and what its grants have left. Credit is spent and expires oldest
/// grant first; credit that comes back returns to the grants it was taken from.
package struct CreditLedger: Sendable {
    package init() {}

    // MARK: Orders paying with credit

    /// Holds `amount` of the wallet for a new order (pending: `credit_held`; the caller posts it at
    /// once when credit pays everything).
    /// - Throws: `InsufficientCredit` when less is spendable (or the wallet owes), with nothing changed.
    package func hold(_ order: Order, wallet: WalletID, amount: Money, at time: Timestamp, on sql: any SQLDatabase) async throws {
        let wallets = WalletRepository(sql)
        try await expireDue(wallet, amount.currency, now: time, on: sql)
        guard try await wallets.hold(wallet, amount) else {
            throw InsufficientCredit(wanted: amount, balance: try await wallets.balance(wallet, currency: amount.currency))
        }
        try await wallets.insertSpend(order: order.id, wallet: wallet, amount: amount, at: time)
        for (grant, taken) in try await takeFromGrants(wallet, amount.currency, amount.minorUnits, on: sql) {
            try await wallets.insertSpendGrant(order: order.id, grant: grant, amount: taken)
        }
        try await LedgerRepository(sql).post([
            Transfer(id: "credit-held:\(order.id)", kind: .creditHeld, amount: amount, debit: .wallet(wallet), credit: .walletHeld(wallet),
                     organizerID: order.organizerID, orderID: order.id, bookedAt: time),
        ])
    }

    /// The order is paid: its held credit goes into its provider's clearing, out of which the
    /// ledger books the order's fee and net as for any payment.
    func post(_ order: Order, at time: Timestamp, on sql: any SQLDatabase) async throws {
        let wallets = WalletRepository(sql)
        guard let spend = try await wallets.spend(order: order.id),
              try await wallets.moveSpend(order: order.id, from: "held", to: "posted", at: time) else { return }
        try await wallets.adjust(spend.wallet, spend.amount.currency, held: -spend.amount.minorUnits)
        try await LedgerRepository(sql).post([
            Transfer(id: "credit-spent:\(order.id)", kind: .creditSpent, amount: spend.amount, debit: .walletHeld(spend.wallet),
                     credit: .clearing(provider: order.provider), organizerID: order.organizerID, orderID: order.id, bookedAt: time),
        ])
    }

    /// The order ended unpaid (or went to review): its held credit back to the wallet and its grants.
    func release(_ order: Order, at time: Timestamp, on sql: any SQLDatabase) async throws {
        let wallets = WalletRepository(sql)
        guard let spend = try await wallets.spend(order: order.id),
              try await wallets.moveSpend(order: order.id, from: "held", to: "released", at: time) else { return }
        try await wallets.adjust(spend.wallet, spend.amount.currency, available: spend.amount.minorUnits, held: -spend.amount.minorUnits)
        try await giveBackToGrants(order.id, spend.amount.minorUnits, on: sql)
        try await LedgerRepository(sql).post([
            Transfer(id: "credit-released:\(order.id)", kind: .creditReleased, amount: spend.amount, debit: .walletHeld(spend.wallet),
                     credit: .wallet(spend.wallet), organizerID: order.organizerID, orderID: order.id, bookedAt: time),
        ])
        try await settleOwed(spend.wallet, spend.amount.currency, key: "released:\(order.id)", at: time, on: sql)
    }

    /// `amount` of a credit refund the ledger has just settled into the provider's clearing goes on
    /// into the wallet, and back to the grants the order took it from.
    func returned(_ order: Order, refund: RefundID, amount: Int64, at time: Timestamp, on sql: any SQLDatabase) async throws {
        let wallets = WalletRepository(sql)
        guard let spend = try await wallets.spend(order: order.id), try await wallets.refundSpend(order: order.id, amount, at: time) else {
            throw PlatformError.conflict("order \(order.id) has not \(amount) of credit left to give back")
        }
        let money = Money(minorUnits: amount, currency: spend.amount.currency)
        try await wallets.adjust(spend.wallet, money.currency, available: amount)
        try await giveBackToGrants(order.id, amount, on: sql)
        try await LedgerRepository(sql).post([
            Transfer(id: "credit-returned:\(refund)", kind: .creditReturned, amount: money, debit: .clearing(provider: order.provider),
                     credit: .wallet(spend.wallet), organizerID: order.organizerID, orderID: order.id, bookedAt: time),
        ])
        try await settleOwed(spend.wallet, money.currency, key: "returned:\(refund)", at: time, on: sql)
    }

    /// Credit coming back goes to the grants the order took it from, in the order it took them.
    private func giveBackToGrants(_ order: OrderID, _ amount: Int64, on sql: any SQLDatabase) async throws {
        let wallets = WalletRepository(sql)
        var left = amount
        for use in try await wallets.spendGrants(order: order) where left > 0 {
            let back = min(left, use.amount - use.returned)
            guard back > 0 else { continue }
            try await wallets.giveToGrant(use.grant, back)
            try await wallets.returnToSpendGrant(order: order, grant: use.grant, back)
            left -= back
        }
    }

    // MARK: Packs

    /// A pack purchase is paid: its credit into the buyer's wallet, once however often this is told.
    func grant(_ order: Order, pack: CreditPack, at time: Timestamp, on sql: any SQLDatabase) async throws {
        let wallets = WalletRepository(sql)
        let wallet = try await wallets.ensureWallet(email: order.email, at: time)
        let credit = Money(minorUnits: pack.credit, currency: pack.price.currency)
        let expiresAt = pack.expiresDays.map { time.adding(minutes: Int64($0) * 24 * 60) }
        guard try await wallets.insertGrant(.generate(at: time), wallet: wallet, amount: credit, remaining: pack.credit, source: "pack",
                                            order: order.id, expiresAt: expiresAt, at: time) else { return }
        try await wallets.adjust(wallet, credit.currency, available: pack.credit)
        let price = order.total.minorUnits, currency = credit.currency
        func money(_ amount: Int64) -> Money { Money(minorUnits: amount, currency: currency) }
        let clearing = LedgerAccount.clearing(provider: order.provider)
        try await LedgerRepository(sql).post([
            Transfer(id: "credit-purchased:\(order.id)", kind: .creditPurchased, amount: money(min(price, pack.credit)), debit: clearing,
                     credit: .wallet(wallet), organizerID: nil, orderID: order.id, bookedAt: time),
            Transfer(id: "credit-promotion:\(order.id)", kind: .creditPromotion, amount: money(pack.credit - price), debit: .creditPromotions,
                     credit: .wallet(wallet), organizerID: nil, orderID: order.id, bookedAt: time),
            Transfer(id: "credit-margin:\(order.id)", kind: .creditMargin, amount: money(price - pack.credit), debit: clearing,
                     credit: .feeRevenue, organizerID: nil, orderID: order.id, bookedAt: time),
        ].filter { $0.amount > 0 })
        try await settleOwed(wallet, currency, key: "granted:\(order.id)", at: time, on: sql)
    }

    /// Takes `amount` off the wallet's grants with credit left, `first` before the others, then the
    /// oldest first; answers what it took of each. The caller has locked the wallet's row (or taken
    /// the credit with the conditional update that locks it), so the grants cannot change meanwhile.
    /// - Throws: `PlatformError.conflict` when the grants do not cover `amount`: the wallet's row and
    ///   its grants disagree, which the invariants report.
    @discardableResult
    func takeFromGrants(_ wallet: WalletID, _ currency: Currency, _ amount: Int64, first: CreditGrantID? = nil,
                        on sql: any SQLDatabase) async throws -> [(grant: CreditGrantID, amount: Int64)] {
        let wallets = WalletRepository(sql)
        let grants = try await wallets.spendableGrants(wallet, currency)
        let ordered = grants.filter { $0.id == first } + grants.filter { $0.id != first }
        var left = amount, taken: [(grant: CreditGrantID, amount: Int64)] = []
        for grant in ordered where left > 0 {
            let take = min(left, grant.remaining)
            guard try await wallets.takeFromGrant(grant.id, take) else { throw PlatformError.conflict("credit grant \(grant.id) changed concurrently") }
            taken.append((grant.id, take))
            left -= take
        }
        guard left == 0 else { throw PlatformError.conflict("wallet \(wallet)'s grants do not cover its balance") }
        return taken
    }

    // MARK: Owed and expiry

    /// New credit pays back what the wallet owes first, out of its oldest grants.
    func settleOwed(_ wallet: WalletID, _ currency: Currency, key: String, at time: Timestamp, on sql: any SQLDatabase) async throws {
        let wallets = WalletRepository(sql)
        let balance = try await wallets.lockedBalance(wallet, currency: currency)
        let pay = min(balance.owed, balance.available)
        guard pay > 0 else { return }
        try await takeFromGrants(wallet, currency, pay, on: sql)
        try await wallets.adjust(wallet, currency, available: -pay, owed: -pay)
        try await LedgerRepository(sql).post([
            Transfer(id: "credit-owed-settled:\(key)", kind: .creditOwedSettled, amount: Money(minorUnits: pay, currency: currency),
                     debit: .wallet(wallet), credit: .walletOwed(wallet), organizerID: nil, orderID: nil, bookedAt: time),
        ])
    }

    /// Expires the wallet's credit whose expiry has come: it is not spendable, whether or not the
    /// expiry worker has run yet.
    package func expireDue(_ wallet: WalletID, _ currency: Currency, now: Timestamp, on sql: any SQLDatabase) async throws {
        for grant in try await WalletRepository(sql).expiring(wallet, currency, now: now) { _ = try await expire(grant, now: now, on: sql) }
    }

    /// What is left of a grant whose expiry has come leaves the wallet; false when nothing did.
    func expire(_ id: CreditGrantID, now: Timestamp, on sql: any SQLDatabase) async throws -> Bool {
        let wallets = WalletRepository(sql)
        guard let found = try await wallets.grant(id) else { return false }
        // The wallet's row first, then the grant, in the order every change of credit locks them.
        _ = try await wallets.lockedBalance(found.wallet, currency: found.amount.currency)
        guard let grant = try await wallets.grant(id), let expiresAt = grant.expiresAt, expiresAt <= now, grant.remaining > 0,
              try await wallets.expireGrant(id, remaining: grant.remaining) else { return false }
        let amount = Money(minorUnits: grant.remaining, currency: grant.amount.currency)
        try await wallets.adjust(grant.wallet, amount.currency, available: -grant.remaining)
        try await LedgerRepository(sql).post([
            Transfer(id: "credit-expired:\(id):\(grant.expired + grant.remaining)", kind: .creditExpired, amount: amount, debit: .wallet(grant.wallet),
                     credit: .creditExpired, organizerID: nil, orderID: grant.orderID, bookedAt: now),
        ])
        return true
    }
}
