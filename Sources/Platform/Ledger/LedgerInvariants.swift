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
        for row in accounts {
            let assetBalance = row.debits - row.credits
            if row.account.hasPrefix("clearing:"), assetBalance < 0 {
                found.append("\(row.account) \(row.currency) is negative: \(assetBalance)")
            }
            if row.account == LedgerAccount.feeRevenue.code, assetBalance > 0 {
                found.append("\(row.account) \(row.currency) is negative: \(-assetBalance)")
            }
        }
        found += try await orderDiscrepancies(ledger.orderTotals(), on: sql)
        return found
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
