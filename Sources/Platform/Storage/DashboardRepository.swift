import PluginKit
import SQLKit

/// The figures of an organizer's dashboard, read in a few grouped queries. (PostgreSQL sums
/// BIGINTs as NUMERIC: each sum is cast back.)
struct DashboardRepository: Sendable {
    let sql: any SQLDatabase

    /// How each kind of ledger transfer moves an event's fee and net: paid orders add, refunds and
    /// disputes take away, refused refunds and won disputes give back.
    /// A box office sale's fee counts as fee and comes off its net; its gross (the money the
    /// organizer took at the door) is read from the orders (`boxOfficeSales`).
    static let feeSigns: [TransferKind: Int64] = [.orderFee: 1, .refundFee: -1, .refundFeeReversed: 1, .disputeFee: -1, .disputeFeeReturned: 1,
                                                  .boxOfficeFee: 1]
    static let netSigns: [TransferKind: Int64] = [.orderNet: 1, .refundNet: -1, .refundNetReversed: 1, .disputeNet: -1, .disputeNetReturned: 1,
                                                  .boxOfficeFee: -1]

    struct Sales: Decodable { let eventId: String, currency: String, amount: Int64 }

    /// Per event and currency, what box office sales took at the door.
    func boxOfficeSales(organizer: OrganizerID) async throws -> [Sales] {
        try await sql.raw("""
            SELECT event_id, currency, CAST(SUM(total - refunded) AS BIGINT) AS amount FROM orders
            WHERE organizer_id = \(bind: organizer.rawValue) AND provider = \(bind: Order.boxOfficeProvider) AND paid_at IS NOT NULL
            GROUP BY event_id, currency
            """).all(decoding: Sales.self, keyDecodingStrategy: .snakeCaseColumns)
    }

    struct KindTotal: Decodable { let eventId: String, currency: String, kind: String, amount: Int64 }

    /// Per event, currency and transfer kind, the sum of the organizer's sales transfers.
    func transferTotals(organizer: OrganizerID) async throws -> [KindTotal] {
        let kinds = Set(Self.feeSigns.keys).union(Self.netSigns.keys).map(\.rawValue).sorted()
        return try await sql.raw("""
            SELECT o.event_id, t.currency, t.kind, CAST(SUM(t.amount) AS BIGINT) AS amount
            FROM ledger_transfers t JOIN orders o ON o.id = t.order_id
            WHERE t.organizer_id = \(bind: organizer.rawValue) AND t.kind IN (\(binds: kinds))
            GROUP BY o.event_id, t.currency, t.kind
            """).all(decoding: KindTotal.self, keyDecodingStrategy: .snakeCaseColumns)
    }

    struct Seats: Decodable { let eventId: String, sold: Int64, quota: Int64 }

    /// Seats sold and on offer per event, over its public variants.
    func seats(organizer: OrganizerID) async throws -> [Seats] {
        try await sql.raw("""
            SELECT event_id, CAST(SUM(sold) AS BIGINT) AS sold, CAST(SUM(quota) AS BIGINT) AS quota FROM ticket_variants
            WHERE organizer_id = \(bind: organizer.rawValue) AND status IN ('live', 'sold_out')
            GROUP BY event_id
            """).all(decoding: Seats.self, keyDecodingStrategy: .snakeCaseColumns)
    }

    struct Day: Decodable { let eventId: String, day: Int64, seats: Int64 }

    /// Seats of paid orders per event and UTC day since `from`.
    func seatsByDay(organizer: OrganizerID, from: Timestamp) async throws -> [Day] {
        try await sql.raw("""
            SELECT o.event_id, o.paid_at / 86400000 AS day, CAST(SUM(l.quantity) AS BIGINT) AS seats
            FROM orders o JOIN order_lines l ON l.order_id = o.id
            WHERE o.organizer_id = \(bind: organizer.rawValue) AND o.paid_at IS NOT NULL AND o.paid_at >= \(bind: from.milliseconds)
            GROUP BY o.event_id, o.paid_at / 86400000
            """).all(decoding: Day.self, keyDecodingStrategy: .snakeCaseColumns)
    }

    struct Attention: Decodable { let review: Int, failedRefunds: Int, openDisputes: Int }

    func attention(organizer: OrganizerID) async throws -> Attention {
        let id = organizer.rawValue
        return try await sql.raw("""
            SELECT (SELECT COUNT(*) FROM orders WHERE organizer_id = \(bind: id) AND status = 'review') AS review,
                   (SELECT COUNT(*) FROM refunds WHERE organizer_id = \(bind: id) AND status = 'failed') AS failed_refunds,
                   (SELECT COUNT(*) FROM disputes WHERE organizer_id = \(bind: id) AND status = 'open') AS open_disputes
            """).first(decoding: Attention.self, keyDecodingStrategy: .snakeCaseColumns) ?? Attention(review: 0, failedRefunds: 0, openDisputes: 0)
    }
}
