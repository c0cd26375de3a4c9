import PluginKit
import SQLKit

/// One line of an organizer's statement: the transfers of one business event that touch the
/// organizer, with what it means for the organizer. Minor units of `currency`.
package struct StatementEntry: Sendable, Hashable {
    package enum EntryType: String, Sendable, CaseIterable {
        case payment, refund, refundFailed = "refund_failed", dispute, disputeWon = "dispute_won", release, owed, repaid, payout
        case payoutSettled = "payout_settled", payoutFailed = "payout_failed", payoutReturned = "payout_returned"
        /// A sale at the box office: its fee is owed, its money stayed with the organizer.
        case boxOffice = "box_office"
    }

    /// `payment:ord_…`, `refund:rfd_…` (or `refund:ord_…:1500` for one made at the provider),
    /// `payout:po_…`: stable, unique per organizer.
    package let id: String
    package let type: EntryType
    package let bookedAt: Timestamp
    package let currency: String
    /// What buyers paid (negative: what went back to them), fee and net together.
    package let gross: Int64
    /// The platform's fee of it.
    package let fee: Int64
    /// What it changes of everything the platform owes the organizer (pending, available and in
    /// transit, less what it owes): the nets of sales less refunds and disputes, less payouts once
    /// settled. Summed over every entry, it is what the organizer is owed.
    package let net: Int64
    /// What moved between the organizer's own balances: released (pending to available), sent
    /// (available to in transit), settled, failed or returned.
    package let moved: Int64
    package let orderID: OrderID?
    package let eventID: String?
    package let eventTitle: String?
    /// When the order's event starts, for accounting by event date.
    package let eventStartsAt: Timestamp?
    package let payoutID: PayoutID?
    /// The event's time zone (IANA), for showing `eventStartsAt` as people there read it.
    package var eventTimezone: String? = nil
}

/// What to list of a statement. Booking dates and event dates are each a half-open range.
package struct StatementFilter: Sendable, Hashable {
    package var bookedFrom: Timestamp?
    package var bookedTo: Timestamp?
    package var eventFrom: Timestamp?
    package var eventTo: Timestamp?
    package var types: [StatementEntry.EntryType] = []
    package var orderID: OrderID?
    package var payoutID: PayoutID?

    package init() {}
}

/// An organizer's statement, from the ledger.
package struct Statements: Sendable {
    let database: any Database

    package init(database: any Database) { self.database = database }

    /// The kinds of transfer that make each type of entry, and how each counts.
    static let parts: [TransferKind: (type: StatementEntry.EntryType, prefix: String, fee: Int64, net: Int64, moved: Int64)] = [
        .orderNet: (.payment, "order-net", 0, 1, 0), .orderFee: (.payment, "order-fee", 1, 0, 0),
        .refundNet: (.refund, "refund-net", 0, -1, 0), .refundFee: (.refund, "refund-fee", -1, 0, 0),
        .refundNetReversed: (.refundFailed, "refund-net-reversed", 0, 1, 0), .refundFeeReversed: (.refundFailed, "refund-fee-reversed", 1, 0, 0),
        .disputeNet: (.dispute, "dispute-net", 0, -1, 0), .disputeFee: (.dispute, "dispute-fee", -1, 0, 0),
        .disputeNetReturned: (.disputeWon, "dispute-net-returned", 0, 1, 0), .disputeFeeReturned: (.disputeWon, "dispute-fee-returned", 1, 0, 0),
        .release: (.release, "release", 0, 0, 1), .receivableOwed: (.owed, "receivable-owed", 0, 0, 1),
        .receivableRepaid: (.repaid, "receivable-repaid", 0, 0, 1), .payoutSent: (.payout, "payout", 0, 0, 1),
        .payoutSettled: (.payoutSettled, "payout-settled", 0, -1, 1), .payoutFailed: (.payoutFailed, "payout-failed", 0, 0, 1),
        .payoutReturned: (.payoutReturned, "payout-returned", 0, 1, 1),
        .boxOfficeFee: (.boxOffice, "box-office-fee", 1, -1, 0),
    ]

    /// Entries in booking order after `after` (a booking time, the previous page's cursor); a page
    /// ends with a whole millisecond, so it may hold a few more than `limit` entries.
    package func entries(of organizer: OrganizerID, filter: StatementFilter, after: Timestamp?, limit: Int) async throws
        -> (entries: [StatementEntry], next: Timestamp?) {
        let kinds = Self.parts.filter { filter.types.isEmpty || filter.types.contains($0.value.type) }.keys.map(\.rawValue).sorted()
        var conditions: SQLQueryString = "t.organizer_id = \(bind: organizer.rawValue) AND t.kind IN (\(binds: kinds))"
        if let after { conditions += " AND t.booked_at > \(bind: after.milliseconds)" }
        if let from = filter.bookedFrom { conditions += " AND t.booked_at >= \(bind: from.milliseconds)" }
        if let to = filter.bookedTo { conditions += " AND t.booked_at < \(bind: to.milliseconds)" }
        if let from = filter.eventFrom { conditions += " AND e.starts_at >= \(bind: from.milliseconds)" }
        if let to = filter.eventTo { conditions += " AND e.starts_at < \(bind: to.milliseconds)" }
        if let order = filter.orderID { conditions += " AND t.order_id = \(bind: order.rawValue)" }
        if let payout = filter.payoutID { conditions += " AND t.payout_id = \(bind: payout.rawValue)" }
        let (condition, select) = (conditions, Self.select)
        let (rows, more) = try await database.read { sql in
            var rows = try await sql.raw("\(select) WHERE \(condition) ORDER BY t.booked_at, t.id LIMIT \(bind: limit * 2 + 1)")
                .all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns)
            let more = rows.count > limit * 2
            if more, let last = rows.dropLast().last {
                // The rest of the last millisecond, so no entry is cut in two.
                rows = Array(rows.prefix { $0.bookedAt < last.bookedAt })
                rows += try await sql.raw("\(select) WHERE \(condition) AND t.booked_at = \(bind: last.bookedAt) ORDER BY t.id")
                    .all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns)
            }
            return (rows, more)
        }
        let entries = try Self.group(rows)
        return (entries, more ? entries.last?.bookedAt : nil)
    }

    /// The organizer's payouts, newest first.
    package func payouts(of organizer: OrganizerID, limit: Int) async throws -> [Payout] {
        try await database.read { sql in try await PayoutRepository(sql).list(organizer: organizer, before: nil, limit: limit) }
    }

    /// One of the organizer's payouts, or nil.
    package func payout(_ id: PayoutID, of organizer: OrganizerID) async throws -> Payout? {
        try await database.read { sql in try await PayoutRepository(sql).find(id) }.flatMap { $0.organizerID == organizer ? $0 : nil }
    }

    /// Every entry of the organizer's statement (at most `cap`), page by page.
    package func allEntries(of organizer: OrganizerID, cap: Int = 100_000) async throws -> [StatementEntry] {
        var entries: [StatementEntry] = [], after: Timestamp? = nil
        repeat {
            let page = try await self.entries(of: organizer, filter: StatementFilter(), after: after, limit: 1_000)
            entries += page.entries
            after = page.next
        } while after != nil && entries.count < cap
        return entries
    }

    /// A payout's remittance advice: what changed the organizer's available balance in the
    /// payout's currency after the payout before it (one that did not fail) up to this one.
    package func covered(by payout: Payout) async throws -> [StatementEntry] {
        let account = LedgerAccount.organizerAvailable(payout.organizerID).code
        return try await database.read { sql in
            struct Previous: Decodable { let coversUntil: Int64 }
            let previous = try await sql.raw("""
                SELECT covers_until FROM payouts WHERE organizer_id = \(bind: payout.organizerID.rawValue) AND currency = \(bind: payout.amount.currency.code)
                  AND id < \(bind: payout.id.rawValue) AND status NOT IN ('failed', 'returned') ORDER BY id DESC LIMIT 1
                """).first(decoding: Previous.self, keyDecodingStrategy: .snakeCaseColumns)?.coversUntil ?? -1
            let rows = try await sql.raw("""
                \(Self.select)
                WHERE t.organizer_id = \(bind: payout.organizerID.rawValue) AND (t.credit_account = \(bind: account) OR t.debit_account = \(bind: account))
                  AND t.currency = \(bind: payout.amount.currency.code)
                  AND t.booked_at > \(bind: previous) AND t.booked_at <= \(bind: payout.coversUntil.milliseconds)
                  AND t.kind NOT IN ('payout_sent', 'payout_settled', 'payout_failed', 'payout_returned')
                ORDER BY t.booked_at, t.id
                """).all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns)
            return try Self.group(rows)
        }
    }

    /// Transfers with their order's event, as `Row` reads them.
    static let select: SQLQueryString = """
        SELECT t.id, t.kind, t.currency, t.amount, t.order_id, t.payout_id, t.booked_at, e.id AS event_id, e.title AS event_title,
               e.starts_at AS event_starts_at, e.timezone AS event_timezone
        FROM ledger_transfers t LEFT JOIN orders o ON o.id = t.order_id LEFT JOIN events e ON e.id = o.event_id
        """

    struct Row: Decodable {
        let id: String, kind: String, currency: String, amount: Int64, orderId: String?, payoutId: String?, bookedAt: Int64
        let eventId: String?, eventTitle: String?, eventStartsAt: Int64?, eventTimezone: String?
    }

    /// Rows of one business event become one entry, in booking order.
    static func group(_ rows: [Row]) throws -> [StatementEntry] {
        var order: [String] = []
        var grouped: [String: [Row]] = [:]
        for row in rows {
            guard let part = parts[try StoredValue.enum(row.kind)] else { continue }
            let key = part.type.rawValue + row.id.dropFirst(part.prefix.count)
            if grouped[key] == nil { order.append(key) }
            grouped[key, default: []].append(row)
        }
        return try order.compactMap { key in
            guard let rows = grouped[key], let first = rows.first, let type = parts[try StoredValue.enum(first.kind)]?.type else { return nil }
            var (fee, net, moved): (Int64, Int64, Int64) = (0, 0, 0)
            for row in rows {
                guard let part = parts[try StoredValue.enum(row.kind)] else { continue }
                fee += part.fee * row.amount
                net += part.net * row.amount
                moved += part.moved * row.amount
            }
            return StatementEntry(
                id: key, type: type, bookedAt: Timestamp(milliseconds: first.bookedAt), currency: first.currency,
                gross: [.payment, .refund, .refundFailed, .dispute, .disputeWon].contains(type) ? fee + net : 0, fee: fee, net: net,
                moved: moved, orderID: try first.orderId.map { try StoredValue.id($0) }, eventID: first.eventId, eventTitle: first.eventTitle,
                eventStartsAt: first.eventStartsAt.map(Timestamp.init(milliseconds:)), payoutID: try first.payoutId.map { try StoredValue.id($0) },
                eventTimezone: first.eventTimezone)
        }
    }
}
