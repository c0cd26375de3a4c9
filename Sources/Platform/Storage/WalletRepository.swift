import PluginKit
import SQLKit

/// Wallets, their balances, the grants their credit came from and the credit orders take. Every
/// change of a balance is one UPDATE whose CHECKs (`available`, `held`, `owed` never below zero)
/// the database enforces; taking credit is conditional on what is available at the moment of the
/// write, never read first.
package struct WalletRepository: Sendable {
    let sql: any SQLDatabase
    package init(_ sql: any SQLDatabase) { self.sql = sql }

    private struct IDRow: Decodable { let id: String }

    /// The wallet of this (normalized) address, if it ever held credit.
    package func wallet(email: String) async throws -> WalletID? {
        try await sql.raw("SELECT id FROM wallets WHERE email = \(bind: BuyerEmail.normalized(email))")
            .first(decoding: IDRow.self).flatMap { WalletID($0.id) }
    }

    /// The wallet of this address, made on first use.
    package func ensureWallet(email: String, at time: Timestamp) async throws -> WalletID {
        let email = BuyerEmail.normalized(email)
        try await sql.raw("""
            INSERT INTO wallets (id, email, created_at) VALUES (\(bind: WalletID.generate(at: time).rawValue), \(bind: email), \(bind: time.milliseconds))
            ON CONFLICT (email) DO NOTHING
            """).run()
        guard let id = try await wallet(email: email) else { throw PlatformError.notFound("wallet") }
        return id
    }

    private struct BalanceRow: Decodable {
        let currency: String, available: Int64, held: Int64, owed: Int64
        func balance() throws -> WalletBalance {
            guard let currency = Currency(code: currency) else { throw PlatformError.conflict("unknown currency \(self.currency)") }
            return WalletBalance(currency: currency, available: available, held: held, owed: owed)
        }
    }

    package func balance(_ wallet: WalletID, currency: Currency) async throws -> WalletBalance {
        try await sql.raw("""
            SELECT currency, available, held, owed FROM wallet_balances WHERE wallet_id = \(bind: wallet.rawValue) AND currency = \(bind: currency.code)
            """).first(decoding: BalanceRow.self)?.balance() ?? WalletBalance(currency: currency, available: 0, held: 0, owed: 0)
    }

    /// The balance, its row locked until the transaction ends (PostgreSQL; SQLite's single writer
    /// serializes already), for a change that is decided on what it reads.
    package func lockedBalance(_ wallet: WalletID, currency: Currency) async throws -> WalletBalance {
        try await ensureBalance(wallet, currency)
        guard DatabaseEngine(of: sql) == .postgres else { return try await balance(wallet, currency: currency) }
        return try await sql.raw("""
            SELECT currency, available, held, owed FROM wallet_balances WHERE wallet_id = \(bind: wallet.rawValue) AND currency = \(bind: currency.code)
            FOR UPDATE
            """).first(decoding: BalanceRow.self)?.balance() ?? WalletBalance(currency: currency, available: 0, held: 0, owed: 0)
    }

    package func balances(_ wallet: WalletID) async throws -> [WalletBalance] {
        try await sql.raw("""
            SELECT currency, available, held, owed FROM wallet_balances WHERE wallet_id = \(bind: wallet.rawValue) ORDER BY currency
            """).all(decoding: BalanceRow.self).map { try $0.balance() }
    }

    /// The balances of up to `limit` wallets after the cursor, in wallet order (`owing`: only wallets that owe), for the admin.
    package func balances(after: WalletID?, limit: Int, owing: Bool) async throws -> [(wallet: WalletID, email: String, balance: WalletBalance)] {
        struct Row: Decodable { let walletId: String, email: String, currency: String, available: Int64, held: Int64, owed: Int64 }
        return try await sql.raw("""
            SELECT b.wallet_id, w.email, b.currency, b.available, b.held, b.owed FROM wallet_balances b JOIN wallets w ON w.id = b.wallet_id
            WHERE b.wallet_id IN (SELECT id FROM wallets WHERE id > \(bind: after?.rawValue ?? "")
                \(unsafeRaw: owing ? "AND EXISTS (SELECT 1 FROM wallet_balances o WHERE o.wallet_id = wallets.id AND o.owed > 0)" : "")
                ORDER BY id LIMIT \(bind: limit))
            ORDER BY b.wallet_id, b.currency
            """).all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns).compactMap { row in
                guard let wallet = WalletID(row.walletId), let currency = Currency(code: row.currency) else { return nil }
                return (wallet, row.email, WalletBalance(currency: currency, available: row.available, held: row.held, owed: row.owed))
            }
    }

    private func ensureBalance(_ wallet: WalletID, _ currency: Currency) async throws {
        try await sql.raw("""
            INSERT INTO wallet_balances (wallet_id, currency, available, held, owed) VALUES (\(bind: wallet.rawValue), \(bind: currency.code), 0, 0, 0)
            ON CONFLICT (wallet_id, currency) DO NOTHING
            """).run()
    }

    /// Moves `amount` from available to held, only while that much is available and nothing is
    /// owed; false otherwise (and nothing changed). On PostgreSQL the row stays locked until commit,
    /// so concurrent spends of one wallet queue here.
    package func hold(_ wallet: WalletID, _ amount: Money) async throws -> Bool {
        try await sql.raw("""
            UPDATE wallet_balances SET available = available - \(bind: amount.minorUnits), held = held + \(bind: amount.minorUnits)
            WHERE wallet_id = \(bind: wallet.rawValue) AND currency = \(bind: amount.currency.code)
              AND owed = 0 AND available >= \(bind: amount.minorUnits) RETURNING wallet_id
            """).first() != nil
    }

    /// Adds the deltas (minor units) to the balance; a result below zero fails the row's CHECK.
    package func adjust(_ wallet: WalletID, _ currency: Currency, available: Int64 = 0, held: Int64 = 0, owed: Int64 = 0) async throws {
        try await ensureBalance(wallet, currency)
        try await sql.raw("""
            UPDATE wallet_balances SET available = available + \(bind: available), held = held + \(bind: held), owed = owed + \(bind: owed)
            WHERE wallet_id = \(bind: wallet.rawValue) AND currency = \(bind: currency.code)
            """).run()
    }

    // MARK: Grants

    package struct Grant: Sendable, Hashable {
        package let id: CreditGrantID
        package let wallet: WalletID
        package let amount: Money
        package let remaining: Int64
        package let expired: Int64
        package let source: String
        package let orderID: OrderID?
        package let expiresAt: Timestamp?
        package let grantedAt: Timestamp
    }

    private struct GrantRow: Decodable {
        let id: String, walletId: String, currency: String, amount: Int64, remaining: Int64, expired: Int64, source: String
        let orderId: String?, expiresAt: Int64?, grantedAt: Int64
        func grant() throws -> Grant {
            guard let id = CreditGrantID(id), let wallet = WalletID(walletId), let currency = Currency(code: currency) else {
                throw PlatformError.conflict("malformed credit grant \(self.id)")
            }
            return Grant(id: id, wallet: wallet, amount: Money(minorUnits: amount, currency: currency), remaining: remaining, expired: expired,
                         source: source, orderID: orderId.flatMap(OrderID.init), expiresAt: expiresAt.map(Timestamp.init(milliseconds:)),
                         grantedAt: Timestamp(milliseconds: grantedAt))
        }
    }

    private static let grantColumns: SQLQueryString = "id, wallet_id, currency, amount, remaining, expired, source, order_id, expires_at, granted_at"

    /// Records a grant of `amount`, of which `remaining` may be spent; false when the pack order
    /// already has its grant (a repeated payment event).
    package func insertGrant(_ id: CreditGrantID, wallet: WalletID, amount: Money, remaining: Int64, source: String, order: OrderID?,
                             expiresAt: Timestamp?, at time: Timestamp) async throws -> Bool {
        try await sql.raw("""
            INSERT INTO credit_grants (id, wallet_id, currency, amount, remaining, source, order_id, expires_at, granted_at)
            VALUES (\(bind: id.rawValue), \(bind: wallet.rawValue), \(bind: amount.currency.code), \(bind: amount.minorUnits), \(bind: remaining),
                    \(bind: source), \(bind: order?.rawValue), \(bind: expiresAt?.milliseconds), \(bind: time.milliseconds))
            ON CONFLICT DO NOTHING RETURNING id
            """).first() != nil
    }

    package func grant(_ id: CreditGrantID) async throws -> Grant? {
        try await sql.raw("SELECT \(Self.grantColumns) FROM credit_grants WHERE id = \(bind: id.rawValue)").first(decoding: GrantRow.self, keyDecodingStrategy: .snakeCaseColumns)?.grant()
    }

    /// The grant a pack order made, if any.
    package func grant(packOrder order: OrderID) async throws -> Grant? {
        try await sql.raw("SELECT \(Self.grantColumns) FROM credit_grants WHERE order_id = \(bind: order.rawValue) AND source = 'pack'")
            .first(decoding: GrantRow.self, keyDecodingStrategy: .snakeCaseColumns)?.grant()
    }

    /// A wallet's grants in one currency with credit left, oldest first: the order credit is spent in.
    package func spendableGrants(_ wallet: WalletID, _ currency: Currency) async throws -> [Grant] {
        try await sql.raw("""
            SELECT \(Self.grantColumns) FROM credit_grants
            WHERE wallet_id = \(bind: wallet.rawValue) AND currency = \(bind: currency.code) AND remaining > 0 ORDER BY granted_at, id
            """).all(decoding: GrantRow.self, keyDecodingStrategy: .snakeCaseColumns).map { try $0.grant() }
    }

    /// Every grant of a wallet, newest first.
    package func grants(_ wallet: WalletID) async throws -> [Grant] {
        try await sql.raw("SELECT \(Self.grantColumns) FROM credit_grants WHERE wallet_id = \(bind: wallet.rawValue) ORDER BY granted_at DESC, id DESC")
            .all(decoding: GrantRow.self, keyDecodingStrategy: .snakeCaseColumns).map { try $0.grant() }
    }

    /// Grants with credit left whose expiry is due, soonest first.
    package func expiring(now: Timestamp, limit: Int) async throws -> [CreditGrantID] {
        try await sql.raw("""
            SELECT id FROM credit_grants WHERE remaining > 0 AND expires_at IS NOT NULL AND expires_at <= \(bind: now.milliseconds)
            ORDER BY expires_at, id LIMIT \(bind: limit)
            """).all(decoding: IDRow.self).compactMap { CreditGrantID($0.id) }
    }

    /// One wallet's grants in one currency with credit left whose expiry is due.
    package func expiring(_ wallet: WalletID, _ currency: Currency, now: Timestamp) async throws -> [CreditGrantID] {
        try await sql.raw("""
            SELECT id FROM credit_grants WHERE wallet_id = \(bind: wallet.rawValue) AND currency = \(bind: currency.code) AND remaining > 0
              AND expires_at IS NOT NULL AND expires_at <= \(bind: now.milliseconds) ORDER BY expires_at, id
            """).all(decoding: IDRow.self).compactMap { CreditGrantID($0.id) }
    }

    /// Takes `amount` off the grant's remaining credit, only if it has that much.
    package func takeFromGrant(_ id: CreditGrantID, _ amount: Int64) async throws -> Bool {
        try await sql.raw("""
            UPDATE credit_grants SET remaining = remaining - \(bind: amount) WHERE id = \(bind: id.rawValue) AND remaining >= \(bind: amount) RETURNING id
            """).first() != nil
    }

    package func giveToGrant(_ id: CreditGrantID, _ amount: Int64) async throws {
        try await sql.raw("UPDATE credit_grants SET remaining = remaining + \(bind: amount) WHERE id = \(bind: id.rawValue)").run()
    }

    /// Expires exactly `amount`, the grant's remaining credit as read; false when it changed meanwhile.
    package func expireGrant(_ id: CreditGrantID, remaining amount: Int64) async throws -> Bool {
        try await sql.raw("""
            UPDATE credit_grants SET remaining = 0, expired = expired + \(bind: amount)
            WHERE id = \(bind: id.rawValue) AND remaining = \(bind: amount) RETURNING id
            """).first() != nil
    }

    // MARK: Spends

    package struct Spend: Sendable, Hashable {
        package let orderID: OrderID
        package let wallet: WalletID
        package let amount: Money
        package let status: String
        package let refunded: Int64
    }

    package func insertSpend(order: OrderID, wallet: WalletID, amount: Money, at time: Timestamp) async throws {
        try await sql.raw("""
            INSERT INTO credit_spends (order_id, wallet_id, currency, amount, status, created_at, updated_at)
            VALUES (\(bind: order.rawValue), \(bind: wallet.rawValue), \(bind: amount.currency.code), \(bind: amount.minorUnits), 'held',
                    \(bind: time.milliseconds), \(bind: time.milliseconds))
            """).run()
    }

    package func spend(order: OrderID) async throws -> Spend? {
        struct Row: Decodable { let orderId: String, walletId: String, currency: String, amount: Int64, status: String, refunded: Int64 }
        guard let row = try await sql.raw("""
            SELECT order_id, wallet_id, currency, amount, status, refunded FROM credit_spends WHERE order_id = \(bind: order.rawValue)
            """).first(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns),
            let id = OrderID(row.orderId), let wallet = WalletID(row.walletId), let currency = Currency(code: row.currency) else { return nil }
        return Spend(orderID: id, wallet: wallet, amount: Money(minorUnits: row.amount, currency: currency), status: row.status, refunded: row.refunded)
    }

    /// Moves the spend from one status to another; false when it was not in `from` (it moved already).
    package func moveSpend(order: OrderID, from: String, to: String, at time: Timestamp) async throws -> Bool {
        try await sql.raw("""
            UPDATE credit_spends SET status = \(bind: to), updated_at = \(bind: time.milliseconds)
            WHERE order_id = \(bind: order.rawValue) AND status = \(bind: from) RETURNING order_id
            """).first() != nil
    }

    /// Records `amount` more of the spend as given back, only up to what it took.
    package func refundSpend(order: OrderID, _ amount: Int64, at time: Timestamp) async throws -> Bool {
        try await sql.raw("""
            UPDATE credit_spends SET refunded = refunded + \(bind: amount), updated_at = \(bind: time.milliseconds)
            WHERE order_id = \(bind: order.rawValue) AND status = 'posted' AND refunded + \(bind: amount) <= amount RETURNING order_id
            """).first() != nil
    }

    package func insertSpendGrant(order: OrderID, grant: CreditGrantID, amount: Int64) async throws {
        try await sql.raw("""
            INSERT INTO credit_spend_grants (order_id, grant_id, amount) VALUES (\(bind: order.rawValue), \(bind: grant.rawValue), \(bind: amount))
            """).run()
    }

    /// The grants a spend took its credit from, with what it took and has given back of each.
    package func spendGrants(order: OrderID) async throws -> [(grant: CreditGrantID, amount: Int64, returned: Int64)] {
        struct Row: Decodable { let grantId: String, amount: Int64, returned: Int64 }
        return try await sql.raw("""
            SELECT grant_id, amount, returned FROM credit_spend_grants WHERE order_id = \(bind: order.rawValue) ORDER BY grant_id
            """).all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns).compactMap { row in
                CreditGrantID(row.grantId).map { ($0, row.amount, row.returned) }
            }
    }

    package func returnToSpendGrant(order: OrderID, grant: CreditGrantID, _ amount: Int64) async throws {
        try await sql.raw("""
            UPDATE credit_spend_grants SET returned = returned + \(bind: amount) WHERE order_id = \(bind: order.rawValue) AND grant_id = \(bind: grant.rawValue)
            """).run()
    }
}

extension WalletRepository {
    /// The pack each of these orders bought, for the ones that bought one.
    package func packs(ofOrders orders: [OrderID]) async throws -> [OrderID: CreditPackID] {
        guard !orders.isEmpty else { return [:] }
        struct Row: Decodable { let id: String, creditPackId: String }
        let rows = try await sql.raw("""
            SELECT id, credit_pack_id FROM orders WHERE id IN (\(binds: orders.map(\.rawValue))) AND credit_pack_id IS NOT NULL
            """).all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns)
        return Dictionary(rows.compactMap { row in OrderID(row.id).flatMap { id in CreditPackID(row.creditPackId).map { (id, $0) } } },
                          uniquingKeysWith: { first, _ in first })
    }
}
