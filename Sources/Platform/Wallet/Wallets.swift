import PluginKit

/// The buyer credit use cases outside checkout: packs for admins and buyers, wallets' statements,
/// the admin's overview of wallets and shortfalls, and the expiry of credit.
package struct Wallets: Sendable {
    let database: any Database
    let clock: any WallClock

    package init(database: any Database, clock: any WallClock) {
        self.database = database
        self.clock = clock
    }

    /// What an admin sends to create a pack.
    package struct PackInput: Sendable {
        package var name: String
        package var price: Int64
        package var currency: String
        package var credit: Int64
        package var active: Bool
        package var expiresDays: Int?

        package init(name: String, price: Int64, currency: String, credit: Int64, active: Bool, expiresDays: Int?) {
            self.name = name
            self.price = price
            self.currency = currency
            self.credit = credit
            self.active = active
            self.expiresDays = expiresDays
        }
    }

    /// The most a pack may cost or grant (minor units), as for a variant's price.
    static let maximumAmount: Int64 = 100_000_000_000

    /// - Throws: `ValidationFailure` listing every bad field.
    package func createPack(_ input: PackInput) async throws -> CreditPack {
        var check = Validator()
        check.check(TextRules.isPresent(input.name, max: 200), "name", "must be 1 to 200 characters")
        let currency = Currency(code: input.currency)
        check.check(currency != nil, "currency", "must be an ISO 4217 code")
        check.check((1...Self.maximumAmount).contains(input.price), "price", "must be 1 to \(Self.maximumAmount) (minor units)")
        check.check((1...Self.maximumAmount).contains(input.credit), "credit", "must be 1 to \(Self.maximumAmount) (minor units)")
        check.check(input.expiresDays.map { (1...3650).contains($0) } ?? true, "expires_days", "must be 1 to 3650 days")
        try check.throwIfFailed()
        guard let currency else { throw ValidationFailure(field: "currency", "must be an ISO 4217 code") }
        let now = clock.now()
        let pack = CreditPack(id: .generate(at: now), name: input.name, price: Money(minorUnits: input.price, currency: currency), credit: input.credit,
                              active: input.active, expiresDays: input.expiresDays, createdAt: now, updatedAt: now)
        try await database.transaction { sql in
            try await CreditPackRepository(sql).insert(pack)
            try await AuditTrail.record("credit_pack.created", organizer: nil, subject: pack.id.rawValue, changes: .fields([
                "name": (nil, pack.name), "price": (nil, pack.price.minorUnits), "currency": (nil, currency.code), "credit": (nil, pack.credit),
                "active": (nil, pack.active), "expires_days": (nil, pack.expiresDays),
            ]), at: now, on: sql)
        }
        return pack
    }

    /// Puts a pack on sale or takes it off; purchases already made keep their credit.
    /// - Throws: `PlatformError.notFound` for no such pack.
    package func setActive(_ id: CreditPackID, _ active: Bool) async throws -> CreditPack {
        let now = clock.now()
        return try await database.transaction { sql in
            let packs = CreditPackRepository(sql)
            guard let before = try await packs.find(id) else { throw PlatformError.notFound("credit pack") }
            _ = try await packs.setActive(id, active, at: now)
            if before.active != active {
                try await AuditTrail.record("credit_pack.updated", organizer: nil, subject: id.rawValue,
                                            changes: .fields(["active": (before.active, active)]), at: now, on: sql)
            }
            guard let pack = try await packs.find(id) else { throw PlatformError.notFound("credit pack") }
            return pack
        }
    }

    package func packs(activeOnly: Bool) async throws -> [CreditPack] {
        try await database.read { sql in try await CreditPackRepository(sql).list(activeOnly: activeOnly) }
    }

    package func pack(_ id: CreditPackID) async throws -> CreditPack? {
        try await database.read { sql in try await CreditPackRepository(sql).find(id) }
    }

    /// The wallet of a buyer's address: balances per currency and every movement, newest first
    /// (empty for an address that never held credit).
    package func statement(email: String) async throws -> WalletStatement {
        try await database.read { sql in
            let wallets = WalletRepository(sql)
            guard let wallet = try await wallets.wallet(email: email) else { return WalletStatement(email: email, balances: [], movements: []) }
            let transfers = try await LedgerRepository(sql).forWallet(wallet)
            let packs = try await wallets.packs(ofOrders: Array(Set(transfers.compactMap(\.orderID))))
            return WalletStatement(email: email, balances: try await wallets.balances(wallet),
                                   movements: WalletStatement.movements(transfers, wallet: wallet, packs: packs))
        }
    }

    /// The balances of an address's wallet, per currency (none when it never held credit).
    package func balances(email: String) async throws -> [WalletBalance] {
        try await database.read { sql in
            let wallets = WalletRepository(sql)
            guard let wallet = try await wallets.wallet(email: email) else { return [] }
            return try await wallets.balances(wallet)
        }
    }

    /// The balance of an address's wallet in one currency; nil when it never held any.
    package func balance(email: String, currency: Currency) async throws -> WalletBalance? {
        try await balances(email: email).first { $0.currency == currency }
    }

    /// The balances per currency of up to `limit` wallets after the cursor (the admin's list; `owing`
    /// narrows it to wallets with a shortfall).
    package func balances(after: WalletID?, limit: Int, owing: Bool) async throws -> [(wallet: WalletID, email: String, balance: WalletBalance)] {
        try await database.read { sql in try await WalletRepository(sql).balances(after: after, limit: limit, owing: owing) }
    }

    /// Expires what is left of every grant whose expiry has come; returns how many grants expired.
    @discardableResult
    package func expire() async throws -> Int {
        var expired = 0
        while true {
            let now = clock.now()
            let due = try await database.read { sql in try await WalletRepository(sql).expiring(now: now, limit: 100) }
            for id in due where try await database.transaction({ sql in try await CreditLedger().expire(id, now: now, on: sql) }) {
                expired += 1
            }
            if due.count < 100 { return expired }
        }
    }
}
