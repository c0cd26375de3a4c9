import PluginKit
import SQLKit

/// The same transfer id posted again with other content: the ledger never changes what it booked.
package struct LedgerConflict: Error, Sendable, CustomStringConvertible {
    package let transferID: String
    package var description: String { "transfer \(transferID) was posted before with other content" }
}

/// The ledger's transfers: appended, never changed (the database refuses updates and deletes).
package struct LedgerRepository: Sendable {
    let sql: any SQLDatabase
    package init(_ sql: any SQLDatabase) { self.sql = sql }

    static let columns: SQLQueryString = """
        id, kind, currency, amount, debit_account, credit_account, organizer_id, order_id, payout_id, booked_at
        """

    struct Row: Decodable {
        let id: String, kind: String, currency: String, amount: Int64, debitAccount: String, creditAccount: String
        let organizerId: String?, orderId: String?, payoutId: String?, bookedAt: Int64

        func transfer() throws -> Transfer {
            Transfer(
                id: id, kind: try StoredValue.enum(kind), amount: Money(minorUnits: amount, currency: try StoredValue.currency(currency)),
                debitCode: debitAccount, creditCode: creditAccount, organizerID: try organizerId.map { try StoredValue.id($0) },
                orderID: try orderId.map { try StoredValue.id($0) }, payoutID: try payoutId.map { try StoredValue.id($0) },
                bookedAt: Timestamp(milliseconds: bookedAt))
        }
    }

    /// Appends the transfers in one statement. Ids already booked, or given twice, with the same
    /// movement are repeats and change nothing.
    /// - Throws: `LedgerConflict` when an id was booked, or is given twice, with another movement.
    package func post(_ given: [Transfer]) async throws {
        // An id twice in one INSERT would be kept once by ON CONFLICT, its second movement unchecked.
        var seen: [String: Transfer] = [:]
        let transfers = try given.filter { transfer in
            guard let first = seen[transfer.id] else {
                seen[transfer.id] = transfer
                return true
            }
            guard first.sameMovement(as: transfer) else { throw LedgerConflict(transferID: transfer.id) }
            return false
        }
        guard !transfers.isEmpty else { return }
        var query: SQLQueryString = """
            INSERT INTO ledger_transfers (id, kind, currency, amount, debit_account, credit_account, organizer_id, order_id, payout_id, booked_at)
            VALUES
            """
        for (index, transfer) in transfers.enumerated() {
            query += index == 0 ? " " : ", "
            query += """
                (\(bind: transfer.id), \(bind: transfer.kind.rawValue), \(bind: transfer.currency.code), \(bind: transfer.amount), \
                \(bind: transfer.debit), \(bind: transfer.credit), \(bind: transfer.organizerID?.rawValue), \(bind: transfer.orderID?.rawValue), \(bind: transfer.payoutID?.rawValue), \
                \(bind: transfer.bookedAt.milliseconds))
                """
        }
        query += " ON CONFLICT (id) DO NOTHING RETURNING id"
        struct Posted: Decodable { let id: String }
        let posted = Set(try await sql.raw(query).all(decoding: Posted.self).map(\.id))
        let repeats = transfers.filter { !posted.contains($0.id) }
        guard !repeats.isEmpty else { return }
        let booked = Dictionary(uniqueKeysWithValues: try await find(repeats.map(\.id)).map { ($0.id, $0) })
        for transfer in repeats where booked[transfer.id].map({ !$0.sameMovement(as: transfer) }) ?? true {
            throw LedgerConflict(transferID: transfer.id)
        }
    }

    /// A payment's transfers: posted at once, or in an inbox batch kept for the batch's flush
    /// (`BatchWrites`), where they are posted together and checked as `post` checks them.
    /// - Throws: `LedgerConflict` when posted at once and an id was booked with another movement.
    package func postPayment(_ transfers: [Transfer]) async throws {
        if BatchWrites.keep(transfers) { return }
        try await post(transfers)
    }

    package func find(_ ids: [String]) async throws -> [Transfer] {
        guard !ids.isEmpty else { return [] }
        return try await sql.raw("SELECT \(Self.columns) FROM ledger_transfers WHERE id IN (\(binds: ids)) ORDER BY id")
            .all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns).map { try $0.transfer() }
    }

    /// An order's transfers, in the order they were booked.
    package func forOrder(_ order: OrderID) async throws -> [Transfer] {
        try await sql.raw("SELECT \(Self.columns) FROM ledger_transfers WHERE order_id = \(bind: order.rawValue) ORDER BY booked_at, id")
            .all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns).map { try $0.transfer() }
    }

    /// Every transfer into or out of a wallet's accounts (`wallet:`, `wallet_held:`, `wallet_owed:`),
    /// in no particular order, through the partial indexes that cover only those accounts.
    package func forWallet(_ wallet: WalletID) async throws -> [Transfer] {
        let accounts = [LedgerAccount.wallet(wallet), .walletHeld(wallet), .walletOwed(wallet)].map(\.code)
        let credited = try await sql.raw("""
            SELECT \(Self.columns) FROM ledger_transfers
            WHERE credit_account IN (\(binds: accounts)) AND credit_account >= 'wallet' AND credit_account < 'wallet~'
            """).all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns)
        let debited = try await sql.raw("""
            SELECT \(Self.columns) FROM ledger_transfers
            WHERE debit_account IN (\(binds: accounts)) AND debit_account >= 'wallet' AND debit_account < 'wallet~'
            """).all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns)
        var seen = Set<String>()
        return try (credited + debited).filter { seen.insert($0.id).inserted }.map { try $0.transfer() }
    }

    /// Paid orders whose hold ended by `now`, with net still pending and not released, oldest
    /// payment first. An organizer's own hold, else `standard`, says when.
    package func dueForRelease(now: Timestamp, standard: PayoutHold, limit: Int) async throws -> [OrderID] {
        struct Due: Decodable { let id: String }
        let day: Int64 = 24 * 3600 * 1000
        return try await sql.raw("""
            SELECT o.id AS id FROM orders o
            JOIN events e ON e.id = o.event_id
            JOIN organizers g ON g.id = o.organizer_id
            JOIN ledger_transfers t ON t.order_id = o.id
            WHERE o.status IN ('paid', 'partially_refunded') AND o.paid_at IS NOT NULL
              AND (CASE COALESCE(g.payout_hold_from, \(bind: standard.from.rawValue)) WHEN 'payment' THEN o.paid_at
                   ELSE COALESCE(e.ends_at, e.starts_at) END) + COALESCE(g.payout_hold_days, \(bind: standard.days)) * \(bind: day)
                  <= \(bind: now.milliseconds)
              AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.id = 'release:' || o.id)
            GROUP BY o.id, o.paid_at, o.organizer_id
            HAVING SUM(CASE WHEN t.credit_account = 'organizer_pending:' || o.organizer_id THEN t.amount
                            WHEN t.debit_account = 'organizer_pending:' || o.organizer_id THEN -t.amount ELSE 0 END) > 0
            ORDER BY o.paid_at, o.id LIMIT \(bind: limit)
            """).all(decoding: Due.self).map { try StoredValue.id($0.id) }
    }

    /// What the organizer of each order has pending of it now (its net less what refunds and disputes
    /// took back, plus what won disputes returned), unless released.
    package func pendingNet(of orders: [OrderID]) async throws -> [(order: OrderID, organizer: OrganizerID, net: Money)] {
        guard !orders.isEmpty else { return [] }
        struct Pending: Decodable { let orderId: String, organizerId: String, currency: String, remaining: Int64, released: Int64 }
        return try await sql.raw("""
            SELECT order_id, organizer_id, currency,
                   CAST(SUM(CASE WHEN credit_account = 'organizer_pending:' || organizer_id THEN amount
                                 WHEN debit_account = 'organizer_pending:' || organizer_id THEN -amount ELSE 0 END) AS BIGINT) AS remaining,
                   CAST(SUM(CASE WHEN kind = 'release' THEN 1 ELSE 0 END) AS BIGINT) AS released
            FROM ledger_transfers WHERE order_id IN (\(binds: orders.map(\.rawValue))) GROUP BY order_id, organizer_id, currency
            ORDER BY order_id
            """).all(decoding: Pending.self, keyDecodingStrategy: .snakeCaseColumns).compactMap { row in
                guard row.released == 0, row.remaining > 0 else { return nil }
                return (try StoredValue.id(row.orderId), try StoredValue.id(row.organizerId),
                        Money(minorUnits: row.remaining, currency: try StoredValue.currency(row.currency)))
            }
    }

    /// Each organizer's available balance and what it owes, per currency, where either was ever
    /// booked; only `organizers` when given (read through the organizer index), else every
    /// organizer's (one scan of the ledger, the accounts picked by byte ranges, not by pattern).
    package func organizerFunds(currency: String?, organizers: [OrganizerID]?) async throws -> [OrganizerFunds] {
        struct Row: Decodable { let account: String, currency: String, credits: Int64, debits: Int64 }
        let (available, receivable) = ("organizer_available:", "organizer_receivable:")
        func accounts(_ column: String) -> SQLQueryString {
            var where_: SQLQueryString = if let organizers {
                // Through the organizer index: the ledger has no index by account.
                organizers.isEmpty ? "1 = 0" : """
                    organizer_id IN (\(binds: organizers.map(\.rawValue))) \
                    AND \(ident: column) IN (\(binds: organizers.flatMap { [available + $0.rawValue, receivable + $0.rawValue] }))
                    """
            } else {
                """
                ((\(ident: column) >= \(bind: available) AND \(ident: column) < \(bind: "organizer_available;")) \
                OR (\(ident: column) >= \(bind: receivable) AND \(ident: column) < \(bind: "organizer_receivable;")))
                """
            }
            if let currency { where_ += " AND currency = \(bind: currency)" }
            return where_
        }
        let rows = try await sql.raw("""
            SELECT account, currency, CAST(SUM(credits) AS BIGINT) AS credits, CAST(SUM(debits) AS BIGINT) AS debits FROM (
                SELECT credit_account AS account, currency, amount AS credits, 0 AS debits FROM ledger_transfers WHERE \(accounts("credit_account"))
                UNION ALL
                SELECT debit_account AS account, currency, 0 AS credits, amount AS debits FROM ledger_transfers WHERE \(accounts("debit_account"))
            ) AS movements GROUP BY account, currency
            """).all(decoding: Row.self)
        var funds: [String: OrganizerFunds] = [:]
        for row in rows {
            let isAvailable = row.account.hasPrefix(available)
            let organizer: OrganizerID = try StoredValue.id(String(row.account.dropFirst((isAvailable ? available : receivable).count)))
            let key = "\(row.currency) \(organizer)"
            let currency = try StoredValue.currency(row.currency)
            var entry = funds[key] ?? OrganizerFunds(organizer: organizer, currency: currency)
            if isAvailable { entry.available = row.credits - row.debits } else { (entry.owedInAll, entry.repaidInAll) = (row.debits, row.credits) }
            funds[key] = entry
        }
        return funds.sorted { $0.key < $1.key }.map(\.value)
    }

    /// Every account's debits and credits, per currency; with `organizer`, only the transfers
    /// about that organizer (its own accounts among them).
    package func accountTotals(organizer: OrganizerID? = nil) async throws -> [AccountTotals] {
        struct TotalsRow: Decodable { let account: String, currency: String, debits: Int64, credits: Int64 }
        let only: SQLQueryString = organizer.map { " WHERE organizer_id = \(bind: $0.rawValue)" } ?? ""
        return try await sql.raw("""
            SELECT account, currency, CAST(SUM(debits) AS BIGINT) AS debits, CAST(SUM(credits) AS BIGINT) AS credits FROM (
                SELECT debit_account AS account, currency, amount AS debits, 0 AS credits FROM ledger_transfers\(only)
                UNION ALL
                SELECT credit_account AS account, currency, 0 AS debits, amount AS credits FROM ledger_transfers\(only)
            ) AS movements GROUP BY account, currency ORDER BY currency, account
            """).all(decoding: TotalsRow.self).map {
                AccountTotals(account: $0.account, currency: $0.currency, debits: $0.debits, credits: $0.credits)
            }
    }

    /// Per organizer and currency, what each kind of transfer adds up to.
    package func organizerTotals() async throws -> [OrganizerKindTotals] {
        struct Row: Decodable { let organizerId: String, currency: String, kind: String, amount: Int64 }
        return try await sql.raw("""
            SELECT organizer_id, currency, kind, CAST(SUM(amount) AS BIGINT) AS amount FROM ledger_transfers
            WHERE organizer_id IS NOT NULL GROUP BY organizer_id, currency, kind ORDER BY organizer_id, currency, kind
            """).all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns).map {
                OrganizerKindTotals(organizerID: try StoredValue.id($0.organizerId), currency: $0.currency, kind: try StoredValue.enum($0.kind),
                                    amount: $0.amount)
            }
    }

    /// Per order with transfers: its kinds' totals, to check them against the order.
    package func orderTotals() async throws -> [OrderTransferTotals] {
        struct TotalsRow: Decodable { let orderId: String, kind: String, amount: Int64 }
        let rows = try await sql.raw("""
            SELECT order_id, kind, CAST(SUM(amount) AS BIGINT) AS amount FROM ledger_transfers WHERE order_id IS NOT NULL GROUP BY order_id, kind
            """).all(decoding: TotalsRow.self, keyDecodingStrategy: .snakeCaseColumns)
        return try Dictionary(grouping: rows, by: \.orderId).map { id, kinds in
            OrderTransferTotals(orderID: try StoredValue.id(id), amounts: Dictionary(uniqueKeysWithValues: try kinds.map {
                (try StoredValue.enum($0.kind) as TransferKind, $0.amount)
            }))
        }.sorted { $0.orderID < $1.orderID }
    }
}

/// An organizer's available balance and receivable in one currency (minor units).
package struct OrganizerFunds: Sendable, Hashable {
    package let organizer: OrganizerID
    package let currency: Currency
    /// Below zero after a refund or dispute of money already available or paid out.
    package var available: Int64 = 0
    /// What was ever booked as owed, and what of it was ever paid back: their difference is owed now.
    package var owedInAll: Int64 = 0
    package var repaidInAll: Int64 = 0

    package var owed: Int64 { owedInAll - repaidInAll }
    /// What a payout may send once what is owed is paid back.
    package var payable: Int64 { max(0, available - max(0, owed)) }
    /// Whether a payout run books something of what is owed: an available balance below zero
    /// (owed from now on), or one above zero while something is owed (paid back first).
    package var hasDebtToBook: Bool { available < 0 || (available > 0 && owed > 0) }

    init(organizer: OrganizerID, currency: Currency) {
        self.organizer = organizer
        self.currency = currency
    }
}

/// An account's movements in one currency.
package struct AccountTotals: Sendable, Hashable {
    package let account: String
    package let currency: String
    package let debits: Int64
    package let credits: Int64
}

/// What one kind of an organizer's transfers adds up to, in one currency (minor units).
package struct OrganizerKindTotals: Sendable, Hashable {
    package let organizerID: OrganizerID
    package let currency: String
    package let kind: TransferKind
    package let amount: Int64
}

/// What one order's transfers add up to, per kind (minor units).
package struct OrderTransferTotals: Sendable, Hashable {
    package let orderID: OrderID
    package let amounts: [TransferKind: Int64]
    package subscript(_ kind: TransferKind) -> Int64 { amounts[kind] ?? 0 }
}
