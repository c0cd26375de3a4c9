import Foundation
import PluginKit

package enum EventStatus: String, Sendable, Codable, CaseIterable {
    case draft
    case live
    case cancelled

    /// Draft and live may swap (publish, unpublish); cancelled is final.
    package func canBecome(_ next: EventStatus) -> Bool {
        self == next || self != .cancelled
    }
}

package struct Event: Hashable, Sendable {
    static let defaultReservationMinutes = 15

    package let id: EventID
    package let organizerID: OrganizerID
    package var title: String
    package var venue: String?
    package var startsAt: Timestamp
    package var endsAt: Timestamp?
    /// IANA time zone in which the event's times are shown to people.
    package var timezone: String
    package var currency: Currency
    package var status: EventStatus
    package var reservationMinutes: Int
    /// Origins (scheme://host[:port]) that checkout may redirect buyers back to.
    package var redirectOrigins: [String]
    package let createdAt: Timestamp
    package var updatedAt: Timestamp
    /// The readable name of the event's page within its organizer (`/e/{organizer slug}/{slug}`): 3 to
    /// 63 lowercase letters, digits or hyphens, as an organizer's slug. Nil for none.
    package var slug: String? = nil

    package init(
        id: EventID, organizerID: OrganizerID, title: String, venue: String?, startsAt: Timestamp, endsAt: Timestamp?,
        timezone: String, currency: Currency, status: EventStatus, reservationMinutes: Int, redirectOrigins: [String],
        createdAt: Timestamp, updatedAt: Timestamp
    ) {
        self.id = id
        self.organizerID = organizerID
        self.title = title
        self.venue = venue
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.timezone = timezone
        self.currency = currency
        self.status = status
        self.reservationMinutes = reservationMinutes
        self.redirectOrigins = redirectOrigins
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The rules an event must satisfy whole, after a create or an edit.
    package func validate() throws(ValidationFailure) {
        var check = Validator()
        check.check(TextRules.isPresent(title, max: 200), "title", "must be 1 to 200 characters")
        if let venue { check.check(TextRules.isPresent(venue, max: 300), "venue", "must be 1 to 300 characters") }
        if let slug {
            check.check(TextRules.isSlug(slug), "slug", "must be 3 to 63 lowercase letters, digits or hyphens, starting with a letter or digit")
        }
        if let endsAt { check.check(endsAt >= startsAt, "ends_at", "must not be before starts_at") }
        check.check(TimeZone(identifier: timezone) != nil && (timezone.contains("/") || timezone == "UTC"),
                    "timezone", "must be an IANA time zone such as Europe/Berlin")
        check.check((1...1440).contains(reservationMinutes), "reservation_minutes", "must be between 1 and 1440")
        check.check(redirectOrigins.count <= 20, "redirect_origins", "must hold at most 20 origins")
        for origin in redirectOrigins where !Event.isOrigin(origin) {
            check.fail("redirect_origins", "'\(origin.prefix(100))' is not an origin such as https://shop.example.com")
        }
        try check.throwIfFailed()
    }

    /// scheme://host[:port] with no path, query or credentials: http or https, a host of letters,
    /// digits, dots and hyphens, a port from 1 to 65535 (the API document's pattern).
    package static func isOrigin(_ text: String) -> Bool {
        guard text.wholeMatch(of: /https?:\/\/[A-Za-z0-9.\-]+(:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?/) != nil else {
            return false
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme,
              scheme == "https" || scheme == "http", let host = components.host, !host.isEmpty else { return false }
        return components.user == nil && components.password == nil && (components.path.isEmpty)
            && components.query == nil && components.fragment == nil
    }
}
