import SQLKit

public struct RefundRepository: Sendable {
    let sql: any SQLDatabase
    public init(_ sql: any SQLDatabase) { self.sql = sql }

    public func insert(id: RefundID, order: Order, amount: Int64, reason: String?, at time: Timestamp) async throws {
        try await sql.raw("""
            INSERT INTO refunds (id, organizer_id, order_id, amount, currency, status, reason, created_at, updated_at)
            VALUES (\(bind: id.rawValue), \(bind: order.organizerID.rawValue), \(bind: order.id.rawValue), \(bind: amount),
                    \(bind: order.total.currency.code), 'requested', \(bind: reason), \(bind: time.milliseconds), \(bind: time.milliseconds))
            """).run()
    }

    /// Refunds asked of the provider and not yet failed, which count against what may still be refunded.
    public func outstanding(order: OrderID) async throws -> Int64 {
        struct Total: Decodable { let total: Int64 }
        return try await sql.raw("""
            SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total FROM refunds
            WHERE order_id = \(bind: order.rawValue) AND status = 'requested'
            """).first(decoding: Total.self)?.total ?? 0
    }

    public func accepted(_ id: RefundID, reference: String, at time: Timestamp) async throws {
        try await sql.raw("""
            UPDATE refunds SET provider_refund = \(bind: reference), updated_at = \(bind: time.milliseconds) WHERE id = \(bind: id.rawValue)
            """).run()
    }

    public func failed(_ id: RefundID, error: String, at time: Timestamp) async throws {
        try await sql.raw("""
            UPDATE refunds SET status = 'failed', error = \(bind: error), updated_at = \(bind: time.milliseconds) WHERE id = \(bind: id.rawValue)
            """).run()
    }

    /// The provider confirmed the order's refunds up to its reported total: requested ones are settled.
    public func settle(order: OrderID, at time: Timestamp) async throws {
        try await sql.raw("""
            UPDATE refunds SET status = 'succeeded', updated_at = \(bind: time.milliseconds)
            WHERE order_id = \(bind: order.rawValue) AND status = 'requested'
            """).run()
    }
}
