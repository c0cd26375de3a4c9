import PluginKit
import SQLKit

package struct VariantRepository: Sendable {
    let sql: any SQLDatabase
    package init(_ sql: any SQLDatabase) { self.sql = sql }

    struct Row: Decodable {
        let id: String, organizerId: String, eventId: String, name: String, price: Int64, quota: Int64
        let maxPerOrder: Int64?, salesStart: Int64?, salesEnd: Int64?, status: String, sold: Int64, reserved: Int64
        let createdAt: Int64, updatedAt: Int64

        func variant() throws -> TicketVariant {
            TicketVariant(
                id: try StoredValue.id(id), organizerID: try StoredValue.id(organizerId), eventID: try StoredValue.id(eventId),
                name: name, price: price, quota: quota, maxPerOrder: maxPerOrder,
                salesStart: StoredValue.timestamp(salesStart), salesEnd: StoredValue.timestamp(salesEnd),
                status: try StoredValue.enum(status), sold: sold, reserved: reserved,
                createdAt: Timestamp(milliseconds: createdAt), updatedAt: Timestamp(milliseconds: updatedAt))
        }
    }

    package func insert(_ variant: TicketVariant) async throws {
        try await sql.raw("""
            INSERT INTO ticket_variants (id, organizer_id, event_id, name, price, quota, max_per_order, sales_start, sales_end,
                                         status, sold, reserved, created_at, updated_at)
            VALUES (\(bind: variant.id.rawValue), \(bind: variant.organizerID.rawValue), \(bind: variant.eventID.rawValue),
                    \(bind: variant.name), \(bind: variant.price), \(bind: variant.quota), \(bind: variant.maxPerOrder),
                    \(bind: variant.salesStart?.milliseconds), \(bind: variant.salesEnd?.milliseconds), \(bind: variant.status.rawValue),
                    0, 0, \(bind: variant.createdAt.milliseconds), \(bind: variant.updatedAt.milliseconds))
            """).run()
        CatalogChanges.note()
    }

    package func find(_ id: VariantID, organizer: OrganizerID) async throws -> TicketVariant? {
        try await sql.raw("SELECT * FROM ticket_variants WHERE id = \(bind: id.rawValue) AND organizer_id = \(bind: organizer.rawValue)")
            .first(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns)?.variant()
    }

    package func list(event: EventID) async throws -> [TicketVariant] {
        try await sql.raw("SELECT * FROM ticket_variants WHERE event_id = \(bind: event.rawValue) ORDER BY id")
            .all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns).map { try $0.variant() }
    }

    /// Writes the organizer-editable fields. The quota only changes if it still covers the seats sold
    /// and reserved at the moment of the write, so a concurrent checkout can never be oversold by an
    /// edit; false when that condition (or the row) failed.
    package func update(_ variant: TicketVariant) async throws -> Bool {
        let row = try await sql.raw("""
            UPDATE ticket_variants SET name = \(bind: variant.name), price = \(bind: variant.price), quota = \(bind: variant.quota),
                max_per_order = \(bind: variant.maxPerOrder), sales_start = \(bind: variant.salesStart?.milliseconds),
                sales_end = \(bind: variant.salesEnd?.milliseconds), status = \(bind: variant.status.rawValue),
                updated_at = \(bind: variant.updatedAt.milliseconds)
            WHERE id = \(bind: variant.id.rawValue) AND organizer_id = \(bind: variant.organizerID.rawValue)
              AND sold + reserved <= \(bind: variant.quota)
            RETURNING id
            """).first()
        if row != nil { CatalogChanges.note() }
        return row != nil
    }

    /// Seats held or sold across an event's variants: once any exist, the event's currency is fixed.
    func committedSeats(event: EventID) async throws -> Int64 {
        struct Total: Decodable { let total: Int64? }
        return try await sql.raw("SELECT CAST(COALESCE(SUM(sold + reserved), 0) AS BIGINT) AS total FROM ticket_variants WHERE event_id = \(bind: event.rawValue)")
            .first(decoding: Total.self)?.total ?? 0
    }
}
