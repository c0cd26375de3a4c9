import PluginKit
import SQLKit

/// What must hold of buyer credit: each wallet's balance row says what its ledger accounts hold
/// (available, held, owed), and its grants have exactly its available credit left.
enum WalletInvariants {
    static func check(_ accounts: [AccountTotals], on sql: any SQLDatabase) async throws -> [String] {
        struct Row: Decodable { let walletId: String, currency: String, available: Int64, held: Int64, owed: Int64, granted: Int64 }
        let rows = try await sql.raw("""
            SELECT b.wallet_id, b.currency, b.available, b.held, b.owed,
                   CAST(COALESCE((SELECT SUM(g.remaining) FROM credit_grants g WHERE g.wallet_id = b.wallet_id AND g.currency = b.currency), 0) AS BIGINT)
                       AS granted
            FROM wallet_balances b ORDER BY b.wallet_id, b.currency
            """).all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns)
        var ledger: [String: Int64] = [:]
        for row in accounts where row.account.hasPrefix("wallet") {
            ledger["\(row.account) \(row.currency)"] = LedgerAccount.balance(code: row.account, debits: row.debits, credits: row.credits)
        }
        var found: [String] = []
        var seen = Set<String>()
        for row in rows {
            let expected = [("wallet:", row.available), ("wallet_held:", row.held), ("wallet_owed:", row.owed)]
            for (prefix, balance) in expected {
                let key = "\(prefix)\(row.walletId) \(row.currency)"
                seen.insert(key)
                if (ledger[key] ?? 0) != balance {
                    found.append("\(key): the ledger holds \(ledger[key] ?? 0), the wallet says \(balance)")
                }
            }
            if row.granted != row.available {
                found.append("wallet \(row.walletId) \(row.currency): its grants have \(row.granted) left, its available credit is \(row.available)")
            }
        }
        for (key, balance) in ledger where !seen.contains(key) && balance != 0 {
            found.append("\(key): the ledger holds \(balance) for a wallet without a balance")
        }
        return found.sorted()
    }
}
