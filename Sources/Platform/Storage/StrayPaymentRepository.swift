import PluginKit
import SQLKit

/// A payment an order could not take as its own (a second charge): refunded in full.
package struct StrayPayment: Sendable, Hashable {
    package let provider: String
    package let reference: String
    package let orderID: OrderID
    /// What the payment took, in its own currency.
    package let amount: Money
    /// How much of it the provider confirmed refunding (minor units of `amount`'s currency).
    package let refunded: Int64
}

struct StrayPaymentRepository: Sendable {
    let sql: any SQLDatabase
    init(_ sql: any SQLDatabase) { self.sql = sql }

    struct Row: Decodable {
        let provider: String, reference: String, orderId: String, amount: Int64, currency: String, refunded: Int64
    }

    /// Records the payment once; false when it was recorded before.
    func insert(provider: String, reference: String, order: Order, amount: Money, at time: Timestamp) async throws -> Bool {
        try await sql.raw("""
            INSERT INTO stray_payments (provider, reference, order_id, organizer_id, amount, currency, received_at)
            VALUES (\(bind: provider), \(bind: reference), \(bind: order.id.rawValue), \(bind: order.organizerID.rawValue),
                    \(bind: amount.minorUnits), \(bind: amount.currency.code), \(bind: time.milliseconds))
            ON CONFLICT (provider, reference) DO NOTHING RETURNING reference
            """).first() != nil
    }

    func find(provider: String, reference: String) async throws -> StrayPayment? {
        guard let row = try await sql.raw("""
            SELECT provider, reference, order_id, amount, currency, refunded FROM stray_payments
            WHERE provider = \(bind: provider) AND reference = \(bind: reference)
            """).first(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns) else { return nil }
        return StrayPayment(provider: row.provider, reference: row.reference, orderID: try StoredValue.id(row.orderId),
                            amount: Money(minorUnits: row.amount, currency: try StoredValue.currency(row.currency)), refunded: row.refunded)
    }

    /// Moves the refunded total from `previous` to `total`; false when another transaction moved it first.
    func recordRefunded(provider: String, reference: String, from previous: Int64, to total: Int64) async throws -> Bool {
        try await sql.raw("""
            UPDATE stray_payments SET refunded = \(bind: total)
            WHERE provider = \(bind: provider) AND reference = \(bind: reference) AND refunded = \(bind: previous) RETURNING reference
            """).first() != nil
    }
}
