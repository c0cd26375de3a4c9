import PluginKit
import SQLKit

/// What must hold of the ledger at any time, checked by every scenario test at its end and by
/// `platform ledger verify` on a live database.
package enum LedgerInvariants {
    /// Every discrepancy found, in a stable order; empty when the ledger is consistent.
    package static func check(on sql: any SQLDatabase) async throws -> [String] {
        let ledger = LedgerRepository(sql)
        let accounts = try await ledger.accountTotals()
        var found: [String] = []
        for (currency, rows) in Dictionary(grouping: accounts, by: \.currency).sorted(by: { $0.key < $1.key }) {
            let debits = rows.reduce(0) { $0 + $1.debits }, credits = rows.reduce(0) { $0 + $1.credits }
            if debits != credits { found.append("\(currency): debits \(debits) differ from credits \(credits)") }
        }
        for row in accounts where LedgerAccount.mustStayNonNegative(code: row.account) {
            let balance = LedgerAccount.balance(code: row.account, debits: row.debits, credits: row.credits)
            if balance < 0 { found.append("\(row.account) \(row.currency) is negative: \(balance)") }
        }
        found += try await orderDiscrepancies(ledger.orderTotals(), on: sql)
        found += try await organizerDiscrepancies(accounts, ledger.organizerTotals())
        return found
    }

    /// Each organizer's balances, pending and available together, equal the nets of its paid
    /// orders less what was refunded of them.
    static func organizerDiscrepancies(_ accounts: [AccountTotals], _ kinds: [OrganizerKindTotals]) -> [String] {
        var balances: [String: Int64] = [:]
        for row in accounts {
            for prefix in ["organizer_pending:", "organizer_available:"] where row.account.hasPrefix(prefix) {
                balances["\(row.account.dropFirst(prefix.count)) \(row.currency)", default: 0] += row.credits - row.debits
            }
        }
        var expected: [String: Int64] = [:]
        for row in kinds {
            let sign: Int64 = switch row.kind { case .orderNet: 1; case .refundNet: -1; default: 0 }
            expected["\(row.organizerID) \(row.currency)", default: 0] += sign * row.amount
        }
        return Set(balances.keys).union(expected.keys).sorted().compactMap { key in
            let (balance, owed) = (balances[key] ?? 0, expected[key] ?? 0)
            return balance == owed ? nil : "organizer \(key): balances add up to \(balance), its orders' nets less refunds to \(owed)"
        }
    }

    /// Each order with money booked: fee and net add up to its total, refunds to what it has been
    /// refunded without exceeding either part; and every paid order has its payment booked.
    static func orderDiscrepancies(_ totals: [OrderTransferTotals], on sql: any SQLDatabase) async throws -> [String] {
        struct OrderRow: Decodable { let id: String, status: String, total: Int64, refunded: Int64 }
        let paidStatuses = [OrderStatus.paid, .partiallyRefunded, .refunded].map(\.rawValue)
        let orders = try await sql.raw("""
            SELECT id, status, total, refunded FROM orders
            WHERE status IN (\(binds: paidStatuses)) OR id IN (SELECT order_id FROM ledger_transfers WHERE order_id IS NOT NULL)
            ORDER BY id
            """).all(decoding: OrderRow.self)
        let byOrder = Dictionary(uniqueKeysWithValues: totals.map { ($0.orderID.rawValue, $0) })
        var found: [String] = []
        for order in orders {
            guard let booked = byOrder[order.id] else {
                found.append("order \(order.id) is \(order.status) but no payment of it is booked")
                continue
            }
            if booked[.held] > 0 {
                // Money the order could not keep: it goes back, and only it.
                if booked[.refundHeld] != order.refunded || booked[.refundHeld] > booked[.held] || booked[.orderFee] + booked[.orderNet] > 0 {
                    found.append("order \(order.id): held \(booked[.held]), refunded \(booked[.refundHeld]) of it, its refunded \(order.refunded)")
                }
                continue
            }
            let (fee, net) = (booked[.orderFee], booked[.orderNet])
            if fee + net != order.total { found.append("order \(order.id): fee \(fee) + net \(net) differ from its total \(order.total)") }
            let (refundedFee, refundedNet) = (booked[.refundFee], booked[.refundNet])
            if refundedFee + refundedNet != order.refunded {
                found.append("order \(order.id): refunded fee \(refundedFee) + net \(refundedNet) differ from its refunded \(order.refunded)")
            }
            if refundedFee > fee || refundedNet > net {
                found.append("order \(order.id): more refunded (fee \(refundedFee), net \(refundedNet)) than paid (fee \(fee), net \(net))")
            }
        }
        return found
    }
}
