import PluginKit

/// A wallet's credit in one currency (minor units).
package struct WalletBalanceBody: Encodable, Sendable {
    let currency: String, available: Int64, held: Int64, owed: Int64

    package init(_ balance: WalletBalance) {
        currency = balance.currency.code
        available = balance.available
        held = balance.held
        owed = balance.owed
    }
}

/// A credit pack as admins and buyers see it.
struct CreditPackBody: Encodable {
    let id: String, name: String, price: Int64, currency: String, credit: Int64, active: Bool, expiresDays: Int?
    let createdAt: Timestamp, updatedAt: Timestamp

    init(_ pack: CreditPack) {
        id = pack.id.rawValue
        name = pack.name
        price = pack.price.minorUnits
        currency = pack.price.currency.code
        credit = pack.credit
        active = pack.active
        expiresDays = pack.expiresDays
        createdAt = pack.createdAt
        updatedAt = pack.updatedAt
    }
}

/// A buyer's wallet: balances per currency and every movement, newest first.
struct WalletBody: Encodable {
    struct Movement: Encodable {
        let reason: String, currency: String, amount: Int64, owed: Int64, orderId: String?, creditPackId: String?, at: Timestamp
    }

    let email: String, balances: [WalletBalanceBody], movements: [Movement]

    init(_ statement: WalletStatement) {
        email = statement.email
        balances = statement.balances.map(WalletBalanceBody.init)
        movements = statement.movements.map {
            Movement(reason: $0.reason, currency: $0.currency.code, amount: $0.amount, owed: $0.owed, orderId: $0.orderID?.rawValue,
                     creditPackId: $0.creditPackID?.rawValue, at: $0.at)
        }
    }
}

/// One wallet's balance in one currency, in the admin's list.
struct AdminWalletBody: Encodable {
    let walletId: String, email: String, currency: String, available: Int64, held: Int64, owed: Int64
}
