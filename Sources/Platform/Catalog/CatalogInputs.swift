import PluginKit

/// What an organizer sends to create an event; absent optionals take the defaults.
public struct NewEvent: Sendable {
    public var title: String
    public var venue: String?
    public var startsAt: Timestamp
    public var endsAt: Timestamp?
    public var timezone: String
    public var currency: Currency
    public var status: EventStatus?
    public var reservationMinutes: Int?
    public var redirectOrigins: [String]?

    public init(title: String, venue: String? = nil, startsAt: Timestamp, endsAt: Timestamp? = nil, timezone: String,
                currency: Currency, status: EventStatus? = nil, reservationMinutes: Int? = nil, redirectOrigins: [String]? = nil) {
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
public struct EventChanges: Sendable {
    public var title: String?
    public var venue: String??
    public var startsAt: Timestamp?
    public var endsAt: Timestamp??
    public var timezone: String?
    public var currency: Currency?
    public var status: EventStatus?
    public var reservationMinutes: Int?
    public var redirectOrigins: [String]?
    public init() {}
}

public struct NewVariant: Sendable {
    public var name: String
    public var price: Int64
    public var quota: Int64
    public var maxPerOrder: Int64?
    public var salesStart: Timestamp?
    public var salesEnd: Timestamp?
    public var status: VariantStatus?

    public init(name: String, price: Int64, quota: Int64, maxPerOrder: Int64? = nil, salesStart: Timestamp? = nil,
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

public struct VariantChanges: Sendable {
    public var name: String?
    public var price: Int64?
    public var quota: Int64?
    public var maxPerOrder: Int64??
    public var salesStart: Timestamp??
    public var salesEnd: Timestamp??
    public var status: VariantStatus?
    public init() {}
}

/// Applies a patch to a clearable field: nil keeps `current`, `.some(x)` replaces it (x may be nil).
func patched<T>(_ current: T?, with change: T??) -> T? {
    if let change { return change }
    return current
}
