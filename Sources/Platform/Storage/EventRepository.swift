import Foundation
import PluginKit
import SQLKit

/// Events, always read and written within one organizer: another organizer's event is simply not found.
package struct EventRepository: Sendable {
    let sql: any SQLDatabase
    package init(_ sql: any SQLDatabase) { self.sql = sql }

    struct Row: Decodable {
        let id: String, organizerId: String, title: String, venue: String?, startsAt: Int64, endsAt: Int64?
        let timezone: String, currency: String, status: String, reservationMinutes: Int, redirectOrigins: String
        let createdAt: Int64, updatedAt: Int64, slug: String?

        func event() throws -> Event {
            var event = Event(
                id: try StoredValue.id(id), organizerID: try StoredValue.id(organizerId), title: title, venue: venue,
                startsAt: Timestamp(milliseconds: startsAt), endsAt: StoredValue.timestamp(endsAt), timezone: timezone,
                currency: try StoredValue.currency(currency), status: try StoredValue.enum(status),
                reservationMinutes: reservationMinutes,
                redirectOrigins: try JSONDecoder().decode([String].self, from: Data(redirectOrigins.utf8)),
                createdAt: Timestamp(milliseconds: createdAt), updatedAt: Timestamp(milliseconds: updatedAt))
            event.slug = slug
            return event
        }
    }

    private static func originsJSON(_ origins: [String]) throws -> String {
        String(decoding: try JSONEncoder().encode(origins), as: UTF8.self)
    }

    package func insert(_ event: Event) async throws {
        try await sql.raw("""
            INSERT INTO events (id, organizer_id, title, venue, starts_at, ends_at, timezone, currency, status,
                                reservation_minutes, redirect_origins, created_at, updated_at, slug)
            VALUES (\(bind: event.id.rawValue), \(bind: event.organizerID.rawValue), \(bind: event.title), \(bind: event.venue),
                    \(bind: event.startsAt.milliseconds), \(bind: event.endsAt?.milliseconds), \(bind: event.timezone),
                    \(bind: event.currency.code), \(bind: event.status.rawValue), \(bind: event.reservationMinutes),
                    \(bind: try Self.originsJSON(event.redirectOrigins)), \(bind: event.createdAt.milliseconds),
                    \(bind: event.updatedAt.milliseconds), \(bind: event.slug))
            """).run()
        CatalogChanges.note()
    }

    package func find(_ id: EventID, organizer: OrganizerID) async throws -> Event? {
        try await sql.raw("SELECT * FROM events WHERE id = \(bind: id.rawValue) AND organizer_id = \(bind: organizer.rawValue)")
            .first(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns)?.event()
    }

    /// The organizer's event with this slug, if any.
    package func find(slug: String, organizer: OrganizerID) async throws -> Event? {
        try await sql.raw("SELECT * FROM events WHERE organizer_id = \(bind: organizer.rawValue) AND slug = \(bind: slug)")
            .first(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns)?.event()
    }

    /// A live event, as buyers may see it (not one of a suspended organizer), with all its variants
    /// by id, in one prepared statement: the read of every order placed and every shop and event page.
    func findLiveWithVariants(_ id: EventID) async throws -> (Event, [TicketVariant])? {
        let rows = try await sql.execute(FindLiveEventWithVariants(event: id.rawValue))
        guard let first = rows.first else { return nil }
        return (try first.event.event(), try rows.compactMap { try $0.variant?.variant() })
    }

    package func list(organizer: OrganizerID, after: EventID?, limit: Int) async throws -> [Event] {
        try await sql.raw("""
            SELECT * FROM events WHERE organizer_id = \(bind: organizer.rawValue) AND id > \(bind: after?.rawValue ?? "")
            ORDER BY id LIMIT \(bind: limit)
            """).all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns).map { try $0.event() }
    }

    package func update(_ event: Event) async throws {
        try await sql.raw("""
            UPDATE events SET title = \(bind: event.title), venue = \(bind: event.venue),
                starts_at = \(bind: event.startsAt.milliseconds), ends_at = \(bind: event.endsAt?.milliseconds),
                timezone = \(bind: event.timezone), currency = \(bind: event.currency.code), status = \(bind: event.status.rawValue),
                reservation_minutes = \(bind: event.reservationMinutes),
                redirect_origins = \(bind: try Self.originsJSON(event.redirectOrigins)), updated_at = \(bind: event.updatedAt.milliseconds),
                slug = \(bind: event.slug)
            WHERE id = \(bind: event.id.rawValue) AND organizer_id = \(bind: event.organizerID.rawValue)
            """).run()
        CatalogChanges.note()
    }
}

/// One row per variant (one row with no variant for an event without any), the event's columns on
/// each. The variant's columns have names of their own: SQLite's rows are read by column name.
private struct FindLiveEventWithVariants: PreparedStatement {
    static let name = "platform_find_live_event_with_variants"
    static let sql = """
        SELECT e.id, e.organizer_id, e.title, e.venue, e.starts_at, e.ends_at, e.timezone, e.currency, e.status,
               e.reservation_minutes, e.redirect_origins, e.created_at, e.updated_at, e.slug,
               v.id AS v_id, v.organizer_id AS v_organizer_id, v.event_id AS v_event_id, v.name AS v_name, v.price AS v_price,
               v.quota AS v_quota, v.max_per_order AS v_max_per_order, v.sales_start AS v_sales_start, v.sales_end AS v_sales_end,
               v.status AS v_status, v.sold AS v_sold, v.reserved AS v_reserved, v.created_at AS v_created_at, v.updated_at AS v_updated_at
        FROM events e LEFT JOIN ticket_variants v ON v.event_id = e.id
        WHERE e.id = $1 AND e.status = 'live'
          AND NOT EXISTS (SELECT 1 FROM organizers o WHERE o.id = e.organizer_id AND o.suspended_at IS NOT NULL)
        ORDER BY v.id
        """
    let event: String
    var values: [StatementValue] { [.text(event)] }

    static func row(_ columns: inout StatementColumns) throws -> (event: EventRepository.Row, variant: VariantRepository.Row?) {
        let event = EventRepository.Row(
            id: try columns.text(), organizerId: try columns.text(), title: try columns.text(), venue: try columns.optionalText(),
            startsAt: try columns.integer(), endsAt: try columns.optionalInteger(), timezone: try columns.text(), currency: try columns.text(),
            status: try columns.text(), reservationMinutes: Int(try columns.integer()), redirectOrigins: try columns.text(),
            createdAt: try columns.integer(), updatedAt: try columns.integer(), slug: try columns.optionalText())
        guard let id = try columns.optionalText() else { return (event, nil) }
        let variant = VariantRepository.Row(
            id: id, organizerId: try columns.text(), eventId: try columns.text(), name: try columns.text(), price: try columns.integer(),
            quota: try columns.integer(), maxPerOrder: try columns.optionalInteger(), salesStart: try columns.optionalInteger(),
            salesEnd: try columns.optionalInteger(), status: try columns.text(), sold: try columns.integer(), reserved: try columns.integer(),
            createdAt: try columns.integer(), updatedAt: try columns.integer())
        return (event, variant)
    }
}
