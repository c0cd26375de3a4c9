import PluginKit

/// The JSON shapes the API answers with (snake_case on the wire). Optional fields that are unset are omitted.
struct OrganizerBody: Encodable {
    let id: String, name: String, slug: String, email: String
    /// The fee in force (the organizer's override or the platform default) and whether it is an override.
    let feeBps: Int, feeBpsOverride: Int?
    /// The organizer's own sender name and reply-to for emails about its orders, when set.
    let senderName: String?, replyTo: String?
    /// The organizer's own payout hold, when an admin set one.
    let payoutHold: PayoutHoldBody?
    let createdAt: Timestamp

    init(_ organizer: Organizer) {
        id = organizer.id.rawValue
        name = organizer.name
        slug = organizer.slug
        email = organizer.email
        feeBps = organizer.feePolicy.basisPoints
        feeBpsOverride = organizer.feeBasisPoints
        senderName = organizer.mailSenderName
        replyTo = organizer.mailReplyTo
        payoutHold = organizer.payoutHold.map { PayoutHoldBody(from: $0.from.rawValue, days: $0.days) }
        createdAt = organizer.createdAt
    }
}

struct PayoutHoldBody: Encodable {
    let from: String, days: Int
}

struct VariantBody: Encodable {
    let id: String, eventId: String, name: String, price: Int64, currency: String, quota: Int64
    let maxPerOrder: Int64?, salesStart: Timestamp?, salesEnd: Timestamp?, status: String
    let sold: Int64, reserved: Int64, available: Int64, createdAt: Timestamp, updatedAt: Timestamp

    init(_ variant: TicketVariant, currency: Currency) {
        id = variant.id.rawValue
        eventId = variant.eventID.rawValue
        name = variant.name
        price = variant.price
        self.currency = currency.code
        quota = variant.quota
        maxPerOrder = variant.maxPerOrder
        salesStart = variant.salesStart
        salesEnd = variant.salesEnd
        status = variant.status.rawValue
        sold = variant.sold
        reserved = variant.reserved
        available = variant.available
        createdAt = variant.createdAt
        updatedAt = variant.updatedAt
    }
}

struct EventBody: Encodable {
    let id: String, organizerId: String, title: String, venue: String?, startsAt: Timestamp, endsAt: Timestamp?
    let timezone: String, currency: String, status: String, reservationMinutes: Int, redirectOrigins: [String]
    let createdAt: Timestamp, updatedAt: Timestamp
    let slug: String?
    let variants: [VariantBody]?

    init(_ event: Event, variants: [TicketVariant]? = nil) {
        id = event.id.rawValue
        slug = event.slug
        organizerId = event.organizerID.rawValue
        title = event.title
        venue = event.venue
        startsAt = event.startsAt
        endsAt = event.endsAt
        timezone = event.timezone
        currency = event.currency.code
        status = event.status.rawValue
        reservationMinutes = event.reservationMinutes
        redirectOrigins = event.redirectOrigins
        createdAt = event.createdAt
        updatedAt = event.updatedAt
        self.variants = variants?.map { VariantBody($0, currency: event.currency) }
    }
}
