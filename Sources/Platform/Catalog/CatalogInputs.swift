import PluginKit

/// What an organizer sends to create an event; absent optionals take the defaults.
package struct NewEvent: Sendable {
    package var slug: String?
    package var title: String
    package var venue: String?
    package var startsAt: Timestamp
    package var endsAt: Timestamp?
    package var timezone: String
    package var currency: Currency
    package var status: EventStatus?
    package var reservationMinutes: Int?
    package var redirectOrigins: [String]?

    package init(title: String, venue: String? = nil, startsAt: Timestamp, endsAt: Timestamp? = nil, timezone: String,
                currency: Currency, status: EventStatus? = nil, reservationMinutes: Int? = nil, redirectOrigins: [String]? = nil,
                slug: String? = nil) {
        self.slug = slug
        self.title = title
        self.venue = venue
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.timezone = timezone
        self.currency = currency
        self.status = status
        self.reservationMinutes = reservationMinutes
        self.redirectOrigins = redirectOrigins
    }
}

/// A partial edit: nil leaves a field alone; for clearable fields `.some(nil)` clears it.
package struct EventChanges: Sendable {
    package var title: String?
    package var venue: String??
    package var startsAt: Timestamp?
    package var endsAt: Timestamp??
    package var timezone: String?
    package var currency: Currency?
    package var status: EventStatus?
    package var reservationMinutes: Int?
    package var redirectOrigins: [String]?
    package var slug: String??
    package init() {}
}

package struct NewVariant: Sendable {
    package var name: String
    package var price: Int64
    package var quota: Int64
    package var maxPerOrder: Int64?
    package var salesStart: Timestamp?
    package var salesEnd: Timestamp?
    package var status: VariantStatus?

    package init(name: String, price: Int64, quota: Int64, maxPerOrder: Int64? = nil, salesStart: Timestamp? = nil,
                salesEnd: Timestamp? = nil, status: VariantStatus? = nil) {
        self.name = name
        self.price = price
        self.quota = quota
        self.maxPerOrder = maxPerOrder
        self.salesStart = salesStart
        self.salesEnd = salesEnd
        self.status = status
    }
}

package struct VariantChanges: Sendable {
    package var name: String?
    package var price: Int64?
    package var quota: Int64?
    package var maxPerOrder: Int64??
    package var salesStart: Timestamp??
    package var salesEnd: Timestamp??
    package var status: VariantStatus?
    package init() {}
}

/// Applies a patch to a clearable field: nil keeps `current`, `.some(x)` replaces it (x may be nil).
func patched<T>(_ current: T?, with change: T??) -> T? {
    if let change { return change }
    return current
}
