import PluginKit
import SQLKit

package struct RefundRecord: Sendable, Hashable {
    package let id: RefundID
    package let orderID: OrderID
    package let amount: Int64
    package let currency: String
    package let status: String
    let providerRefund: String?
    package let reason: String?
    package let error: String?
    package let createdAt: Timestamp
    /// The stray payment it gives back; nil for the order's own payment.
    package var paymentReference: String? = nil
}

package struct RefundRepository: Sendable {
    package static let statuses = ["requested", "succeeded", "failed"]

    let sql: any SQLDatabase
    package init(_ sql: any SQLDatabase) { self.sql = sql }

    /// `amount` is in the currency of the payment it refunds (another than the order's only for money held in review).
    /// `paymentReference` names the stray payment a refund gives back (nil: the order's own payment).
    package func insert(id: RefundID, order: Order, amount: Money, reason: String?, paymentReference: String? = nil,
                        at time: Timestamp) async throws {
        try await sql.raw("""
            INSERT INTO refunds (id, organizer_id, order_id, amount, currency, status, reason, created_at, updated_at, payment_reference)
            VALUES (\(bind: id.rawValue), \(bind: order.organizerID.rawValue), \(bind: order.id.rawValue), \(bind: amount.minorUnits),
                    \(bind: amount.currency.code), 'requested', \(bind: reason), \(bind: time.milliseconds), \(bind: time.milliseconds),
                    \(bind: paymentReference))
            """).run()
    }

    /// Refunds asked of the provider and not yet failed, which count against what may still be refunded.
    func outstanding(order: OrderID) async throws -> Int64 {
        struct Total: Decodable { let total: Int64 }
        return try await sql.raw("""
            SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total FROM refunds
            WHERE order_id = \(bind: order.rawValue) AND status = 'requested' AND payment_reference IS NULL
            """).first(decoding: Total.self)?.total ?? 0
    }

    struct Row: Decodable {
        let id: String, orderId: String, amount: Int64, currency: String, status: String, providerRefund: String?, reason: String?
        let error: String?, createdAt: Int64, paymentReference: String?
    }

    package func list(statuses: [String], after: RefundID?, limit: Int) async throws -> [RefundRecord] {
        try await sql.select().column(SQLLiteral.all).from("refunds")
            .where("status", .in, statuses).where("id", .greaterThan, after?.rawValue ?? "")
            .orderBy("id").limit(limit)
            .all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns).map(Self.record)
    }

    /// An order's refunds, oldest first.
    package func list(order: OrderID, organizer: OrganizerID) async throws -> [RefundRecord] {
        try await sql.select().column(SQLLiteral.all).from("refunds")
            .where("order_id", .equal, order.rawValue).where("organizer_id", .equal, organizer.rawValue)
            .orderBy("id")
            .all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns).map(Self.record)
    }

    private static func record(_ row: Row) throws -> RefundRecord {
        RefundRecord(id: try StoredValue.id(row.id), orderID: try StoredValue.id(row.orderId), amount: row.amount,
                     currency: row.currency, status: row.status, providerRefund: row.providerRefund, reason: row.reason,
                     error: row.error, createdAt: Timestamp(milliseconds: row.createdAt), paymentReference: row.paymentReference)
    }

    package func accepted(_ id: RefundID, reference: String, at time: Timestamp) async throws {
        try await sql.raw("""
            UPDATE refunds SET provider_refund = \(bind: reference), updated_at = \(bind: time.milliseconds) WHERE id = \(bind: id.rawValue)
            """).run()
    }

    /// Marks a refund still asked for as failed; false when it is no longer asked for (the
    /// provider's confirmation settled it first, as after a timeout on a refund it made).
    @discardableResult
    package func failed(_ id: RefundID, error: String, at time: Timestamp) async throws -> Bool {
        try await sql.raw("""
            UPDATE refunds SET status = 'failed', error = \(bind: error), updated_at = \(bind: time.milliseconds)
            WHERE id = \(bind: id.rawValue) AND status = 'requested' RETURNING id
            """).first() != nil
    }

    /// The provider confirmed the order's refunds up to its reported total: requested ones are settled.
    func settle(order: OrderID, at time: Timestamp) async throws {
        try await sql.raw("""
            UPDATE refunds SET status = 'succeeded', updated_at = \(bind: time.milliseconds)
            WHERE order_id = \(bind: order.rawValue) AND status = 'requested' AND payment_reference IS NULL
            """).run()
    }

    /// Settles one refund (a credit refund, settled when it is made).
    func settle(_ id: RefundID, at time: Timestamp) async throws {
        try await sql.raw("""
            UPDATE refunds SET status = 'succeeded', updated_at = \(bind: time.milliseconds) WHERE id = \(bind: id.rawValue) AND status = 'requested'
            """).run()
    }

    /// The provider confirmed refunding a stray payment of the order: its refunds are settled, a
    /// failed one too (a timeout the provider went through with; it moved no money here).
    func settle(payment reference: String, order: OrderID, at time: Timestamp) async throws {
        try await sql.raw("""
            UPDATE refunds SET status = 'succeeded', updated_at = \(bind: time.milliseconds)
            WHERE order_id = \(bind: order.rawValue) AND status IN ('requested', 'failed') AND payment_reference = \(bind: reference)
            """).run()
    }
}
