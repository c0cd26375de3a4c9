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
        found += try await disputeDiscrepancies(on: sql)
        found += try await payoutDiscrepancies(accounts, on: sql)
        found += try await pendingDiscrepancies(on: sql)
        found += try await WalletInvariants.check(accounts, on: sql)
        return found
    }

    /// Each organizer's payouts in transit and paid out are what its payouts say: the ones
    /// sending or sent, and the ones settled.
    static func payoutDiscrepancies(_ accounts: [AccountTotals], on sql: any SQLDatabase) async throws -> [String] {
        struct Row: Decodable { let organizerId: String, currency: String, inTransit: Int64, settled: Int64 }
        let rows = try await sql.raw("""
            SELECT organizer_id, currency,
                   CAST(SUM(CASE WHEN status IN ('sending', 'sent') THEN amount ELSE 0 END) AS BIGINT) AS in_transit,
                   CAST(SUM(CASE WHEN status = 'settled' THEN amount ELSE 0 END) AS BIGINT) AS settled
            FROM payouts GROUP BY organizer_id, currency
            """).all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns)
        var expected: [String: Int64] = [:]
        for row in rows {
            expected["payouts_in_transit:\(row.organizerId) \(row.currency)"] = row.inTransit
            expected["paid_out:\(row.organizerId) \(row.currency)"] = row.settled
        }
        var booked: [String: Int64] = [:]
        for row in accounts where row.account.hasPrefix("payouts_in_transit:") || row.account.hasPrefix("paid_out:") {
            booked["\(row.account) \(row.currency)"] = row.credits - row.debits
        }
        return Set(expected.keys).union(booked.keys).sorted().compactMap { key in
            let (ledger, payouts) = (booked[key] ?? 0, expected[key] ?? 0)
            return ledger == payouts ? nil : "\(key): the ledger holds \(ledger), the payouts say \(payouts)"
        }
    }

    /// No order's pending net is below zero, and a released order has none left pending.
    static func pendingDiscrepancies(on sql: any SQLDatabase) async throws -> [String] {
        struct Row: Decodable { let orderId: String, pending: Int64, released: Int64 }
        return try await sql.raw("""
            SELECT order_id, CAST(SUM(CASE WHEN credit_account = 'organizer_pending:' || organizer_id THEN amount
                                          WHEN debit_account = 'organizer_pending:' || organizer_id THEN -amount ELSE 0 END) AS BIGINT) AS pending,
                   CAST(SUM(CASE WHEN kind = 'release' THEN 1 ELSE 0 END) AS BIGINT) AS released
            FROM ledger_transfers WHERE order_id IS NOT NULL GROUP BY order_id ORDER BY order_id
            """).all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns).compactMap { row in
                if row.pending < 0 { return "order \(row.orderId): pending net below zero (\(row.pending))" }
                if row.released > 0 && row.pending != 0 { return "order \(row.orderId): released, yet \(row.pending) still pending" }
                return nil
            }
    }

    /// Each dispute with money booked: its parts add up to what the provider withdrew, and its
    /// outcome, if any, is booked once and as decided (won: everything back; lost: nothing back).
    static func disputeDiscrepancies(on sql: any SQLDatabase) async throws -> [String] {
        struct Row: Decodable { let provider: String, providerDisputeId: String, orderId: String, status: String, id: String, kind: String, amount: Int64 }
        let rows = try await sql.raw("""
            SELECT d.provider, d.provider_dispute_id, d.order_id, d.status, t.id, t.kind, t.amount
            FROM disputes d JOIN ledger_transfers t ON t.order_id = d.order_id AND t.kind LIKE 'dispute%'
            ORDER BY d.order_id, d.provider, d.provider_dispute_id
            """).all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns)
        var found: [String] = []
        for (_, group) in Dictionary(grouping: rows, by: { "\($0.orderId):\($0.provider):\($0.providerDisputeId)" }).sorted(by: { $0.key < $1.key }) {
            let mine = group.filter { $0.id.hasSuffix(":\($0.orderId):\($0.provider):\($0.providerDisputeId)") }
            guard let first = mine.first else { continue }
            func sum(_ kinds: TransferKind...) -> Int64 { mine.filter { kinds.map(\.rawValue).contains($0.kind) }.reduce(0) { $0 + $1.amount } }
            let withdrawn = sum(.disputeWithdrawn), held = sum(.disputeNet, .disputeFee, .disputeReview, .disputeRefunds, .disputeCredit)
            let returned = sum(.disputeNetReturned, .disputeFeeReturned, .disputeReviewReturned, .disputeRefundsReturned, .disputeCreditReturned)
            let (reinstated, lost) = (sum(.disputeReinstated), sum(.disputeLost))
            let consistent = switch first.status {
            case "won": reinstated == withdrawn && returned == held && lost == 0
            case "lost": lost == withdrawn && reinstated == 0 && returned == 0
            default: reinstated == 0 && lost == 0 && returned == 0
            }
            if held != withdrawn || !consistent {
                found.append("dispute \(first.provider) \(first.providerDisputeId) of order \(first.orderId) (\(first.status)): withdrawn \(withdrawn), "
                             + "held \(held), returned \(returned), reinstated \(reinstated), lost \(lost)")
            }
        }
        return found
    }

    /// Each organizer's balances (pending, available, in transit and paid out together) equal the
    /// nets of its paid orders less what refunds and disputes took back of them, plus what won
    /// disputes returned. Payouts only move money between those balances.
    static func organizerDiscrepancies(_ accounts: [AccountTotals], _ kinds: [OrganizerKindTotals]) -> [String] {
        var balances: [String: Int64] = [:]
        for row in accounts {
            // What an organizer owes (its receivable, an asset) counts against what it is owed.
            for prefix in ["organizer_pending:", "organizer_available:", "organizer_receivable:", "payouts_in_transit:", "paid_out:"]
            where row.account.hasPrefix(prefix) {
                balances["\(row.account.dropFirst(prefix.count)) \(row.currency)", default: 0] += row.credits - row.debits
            }
        }
        var expected: [String: Int64] = [:]
        for row in kinds {
            let sign: Int64 = switch row.kind {
            case .orderNet, .disputeNetReturned, .refundNetReversed: 1
            // A box office sale's money stayed with the organizer: only its fee is owed.
            case .refundNet, .disputeNet, .boxOfficeFee: -1
            default: 0
            }
            expected["\(row.organizerID) \(row.currency)", default: 0] += sign * row.amount
        }
        return Set(balances.keys).union(expected.keys).sorted().compactMap { key in
            let (balance, owed) = (balances[key] ?? 0, expected[key] ?? 0)
            return balance == owed ? nil : "organizer \(key): balances add up to \(balance), its orders' nets less refunds and disputes to \(owed)"
        }
    }

    /// Each order with money booked: fee and net add up to its total; refunds paid to what it has
    /// been refunded, and what refunds set aside covers them without exceeding either part; and every
    /// paid order has its payment booked.
    static func orderDiscrepancies(_ totals: [OrderTransferTotals], on sql: any SQLDatabase) async throws -> [String] {
        struct OrderRow: Decodable {
            let id: String, status: String, total: Int64, refunded: Int64, provider: String, creditPackId: String?, creditAmount: Int64
        }
        let paidStatuses = [OrderStatus.paid, .partiallyRefunded, .refunded].map(\.rawValue)
        let orders = try await sql.raw("""
            SELECT id, status, total, refunded, provider, credit_pack_id, credit_amount FROM orders
            WHERE status IN (\(binds: paidStatuses)) OR id IN (SELECT order_id FROM ledger_transfers WHERE order_id IS NOT NULL)
            ORDER BY id
            """).all(decoding: OrderRow.self, keyDecodingStrategy: .snakeCaseColumns)
        let byOrder = Dictionary(uniqueKeysWithValues: totals.map { ($0.orderID.rawValue, $0) })
        var found: [String] = []
        for order in orders {
            guard let booked = byOrder[order.id] else {
                // A free order books nothing, nor does a box office sale whose fee rounds to 0.
                if order.total == 0 || order.provider == Order.boxOfficeProvider { continue }
                found.append("order \(order.id) is \(order.status) but no payment of it is booked")
                continue
            }
            let paid = paidStatuses.contains(order.status)
            if order.creditAmount > 0 {
                // Credit is held while the order waits, spent once paid, and released when it ends unpaid.
                let (held, spent, released) = (booked[.creditHeld], booked[.creditSpent], booked[.creditReleased])
                let consistent = held == order.creditAmount && spent + released <= held && (!paid || spent == held)
                    && booked[.creditReturned] <= spent && (order.status != "pending" || spent + released == 0)
                if !consistent {
                    found.append("order \(order.id) (\(order.status)): credit \(order.creditAmount) held \(held), spent \(spent), released \(released), "
                                 + "returned \(booked[.creditReturned])")
                }
                if !paid && booked.amounts.keys.allSatisfy({ [TransferKind.creditHeld, .creditReleased].contains($0) }) { continue }
            }
            if booked[.refundPaid] != order.refunded {
                found.append("order \(order.id): refunds paid \(booked[.refundPaid]) differ from its refunded \(order.refunded)")
            }
            if order.creditPackId != nil {
                // A pack's price went to the wallet and, beyond its credit, to the platform's revenue.
                let taken = booked[.creditPurchased] + booked[.creditMargin]
                if (paid && taken != order.total) || booked[.orderFee] + booked[.orderNet] > 0 {
                    found.append("order \(order.id): credit pack of \(order.total) booked \(taken) to the wallet and the margin")
                }
                continue
            }
            if booked[.boxOfficeFee] > 0 {
                // Paid at the door: no fee or net went through a provider, and the fee owed is at most the total.
                if booked[.orderFee] + booked[.orderNet] > 0 || booked[.boxOfficeFee] > order.total {
                    found.append("order \(order.id): box office fee \(booked[.boxOfficeFee]) of its total \(order.total), with provider money booked")
                }
                continue
            }
            if booked[.held] > 0 {
                // Money the order could not keep: it goes back, and only it.
                let disputed = booked[.disputeReview] - booked[.disputeReviewReturned]
                let refunded = booked[.refundHeld] - booked[.refundHeldReversed]
                if refunded < order.refunded || refunded + disputed > booked[.held] || booked[.orderFee] + booked[.orderNet] > 0 {
                    found.append("order \(order.id): held \(booked[.held]), refunded \(refunded) of it, its refunded \(order.refunded)")
                }
                continue
            }
            let (fee, net) = (booked[.orderFee], booked[.orderNet])
            if fee + net != order.total { found.append("order \(order.id): fee \(fee) + net \(net) differ from its total \(order.total)") }
            // Refunds asked for and not yet confirmed are set aside too.
            let (refundedFee, refundedNet) = (booked[.refundFee] - booked[.refundFeeReversed], booked[.refundNet] - booked[.refundNetReversed])
            if refundedFee + refundedNet < order.refunded {
                found.append("order \(order.id): refunded fee \(refundedFee) + net \(refundedNet) less than its refunded \(order.refunded)")
            }
            let takenFee = refundedFee + booked[.disputeFee] - booked[.disputeFeeReturned]
            let takenNet = refundedNet + booked[.disputeNet] - booked[.disputeNetReturned]
            if takenFee > fee || takenNet > net {
                found.append("order \(order.id): more refunded and disputed (fee \(takenFee), net \(takenNet)) than paid (fee \(fee), net \(net))")
            }
        }
        return found
    }
}
