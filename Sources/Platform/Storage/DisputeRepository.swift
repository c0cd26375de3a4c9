import PluginKit
import SQLKit

/// A chargeback against a paid order, as recorded.
package struct OrderDispute: Sendable, Hashable {
    package let provider: String
    /// The provider's id of the dispute.
    package let id: String
    package let orderID: OrderID
    /// What the dispute claims, at most the order's total.
    package let amount: Money
    package let reason: String
}

/// Disputes: opened once, closed once.
struct DisputeRepository {
    let sql: any SQLDatabase
    init(_ sql: any SQLDatabase) { self.sql = sql }

    /// Records the dispute as open; false when it was recorded before.
    func open(_ dispute: OrderDispute, organizer: OrganizerID, at time: Timestamp) async throws -> Bool {
        try await sql.raw("""
            INSERT INTO disputes (provider, provider_dispute_id, order_id, organizer_id, currency, amount, reason, status, opened_at)
            VALUES (\(bind: dispute.provider), \(bind: dispute.id), \(bind: dispute.orderID.rawValue), \(bind: organizer.rawValue), \
            \(bind: dispute.amount.currency.code), \(bind: dispute.amount.minorUnits), \(bind: dispute.reason), 'open', \(bind: time.milliseconds))
            ON CONFLICT (provider, provider_dispute_id) DO NOTHING RETURNING order_id
            """).first() != nil
    }

    /// Closes an open dispute; false when it was closed before (a repeat, or the other outcome
    /// reported late: the first decision stands).
    func close(provider: String, id: String, outcome: DisputeOutcome, at time: Timestamp) async throws -> Bool {
        try await sql.raw("""
            UPDATE disputes SET status = \(bind: outcome.rawValue), closed_at = \(bind: time.milliseconds)
            WHERE provider = \(bind: provider) AND provider_dispute_id = \(bind: id) AND status = 'open' RETURNING order_id
            """).first() != nil
    }

    func find(provider: String, id: String) async throws -> OrderDispute? {
        struct Row: Decodable { let orderId: String, currency: String, amount: Int64, reason: String }
        guard let row = try await sql.raw("""
            SELECT order_id, currency, amount, reason FROM disputes WHERE provider = \(bind: provider) AND provider_dispute_id = \(bind: id)
            """).first(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns) else { return nil }
        return OrderDispute(provider: provider, id: id, orderID: try StoredValue.id(row.orderId),
                            amount: Money(minorUnits: row.amount, currency: try StoredValue.currency(row.currency)), reason: row.reason)
    }
}
