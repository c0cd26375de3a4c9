import PluginKit

/// A product of the platform that buys buyer credit: `price` (minor units of `currency`) through a
/// payment provider grants `credit` (minor units of the same currency). A credit above the price is
/// a promotion the platform pays for; below it, the difference is the platform's margin.
package struct CreditPack: Hashable, Sendable {
    package let id: CreditPackID
    package var name: String
    package let price: Money
    /// Minor units of `price.currency`, more than zero.
    package let credit: Int64
    package var active: Bool
    /// Days after the purchase is paid when what is left of its credit expires; nil: never.
    package let expiresDays: Int?
    package let createdAt: Timestamp
    package var updatedAt: Timestamp

    package init(id: CreditPackID, name: String, price: Money, credit: Int64, active: Bool, expiresDays: Int?, createdAt: Timestamp,
                 updatedAt: Timestamp) {
        self.id = id
        self.name = name
        self.price = price
        self.credit = credit
        self.active = active
        self.expiresDays = expiresDays
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The credit a refund of the purchase takes back once `refunded` of the price has been refunded
    /// in all (minor units): in proportion, rounded down, so a full refund takes back exactly `credit`.
    package func creditTaken(whenRefunded refunded: Int64) -> Int64 {
        let refunded = min(max(refunded, 0), price.minorUnits)
        return Int64(Int128(credit) * Int128(refunded) / Int128(price.minorUnits))
    }
}

/// A wallet's credit in one currency (minor units): what may be spent, what orders waiting for
/// the rest of their payment hold, and what the buyer owes since a refunded pack's credit was spent.
package struct WalletBalance: Hashable, Sendable {
    package let currency: Currency
    package let available: Int64
    package let held: Int64
    package let owed: Int64

    package init(currency: Currency, available: Int64, held: Int64, owed: Int64) {
        self.currency = currency
        self.available = available
        self.held = held
        self.owed = owed
    }

    /// Credit is spendable only while nothing is owed.
    package var spendable: Int64 { owed > 0 ? 0 : available }
}

/// How much of a wallet an order may use: an amount (minor units) or all that is spendable.
package enum CreditUse: Hashable, Sendable {
    case amount(Int64)
    case all
}

/// An order asked for more credit than its wallet can give: answered 402 with the balance, and
/// nothing is reserved.
package struct InsufficientCredit: Error, Sendable, Hashable {
    package let wanted: Money
    package let balance: WalletBalance

    package init(wanted: Money, balance: WalletBalance) {
        self.wanted = wanted
        self.balance = balance
    }

    package var detail: String {
        if balance.owed > 0 {
            return "this wallet owes \(balance.owed) \(balance.currency.code) of a refunded credit pack; no credit can be spent until that is settled"
        }
        return "\(wanted.minorUnits) \(wanted.currency.code) of credit wanted, \(balance.available) available"
    }
}

/// Paying with credit needs a buyer session (its wallet is the session's address): answered 401.
package struct BuyerSessionRequired: Error, Sendable, Hashable {
    package init() {}
}
