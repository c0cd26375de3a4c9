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
    }

    package func find(_ id: EventID, organizer: OrganizerID) async throws -> Event? {
        try await sql.raw("SELECT * FROM events WHERE id = \(bind: id.rawValue) AND organizer_id = \(bind: organizer.rawValue)")
            .first(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase)?.event()
    }

    /// The organizer's event with this slug, if any.
    package func find(slug: String, organizer: OrganizerID) async throws -> Event? {
        try await sql.raw("SELECT * FROM events WHERE organizer_id = \(bind: organizer.rawValue) AND slug = \(bind: slug)")
            .first(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase)?.event()
    }

    /// A live event, as buyers may see it: not one of a suspended organizer.
    func findLive(_ id: EventID) async throws -> Event? {
        try await sql.raw("""
            SELECT * FROM events WHERE id = \(bind: id.rawValue) AND status = 'live'
              AND NOT EXISTS (SELECT 1 FROM organizers o WHERE o.id = events.organizer_id AND o.suspended_at IS NOT NULL)
            """)
            .first(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase)?.event()
    }

    package func list(organizer: OrganizerID, after: EventID?, limit: Int) async throws -> [Event] {
        try await sql.raw("""
            SELECT * FROM events WHERE organizer_id = \(bind: organizer.rawValue) AND id > \(bind: after?.rawValue ?? "")
            ORDER BY id LIMIT \(bind: limit)
            """).all(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase).map { try $0.event() }
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
    }
}
