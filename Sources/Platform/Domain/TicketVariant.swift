import PluginKit

package enum VariantStatus: String, Sendable, Codable, CaseIterable {
    case draft
    case live
    case soldOut = "sold_out"
    case hidden

    /// Buyers see live and sold-out variants; drafts and hidden ones are the organizer's alone.
    var isPublic: Bool { self == .live || self == .soldOut }
}

/// A kind of ticket for one event: a price in the event's currency and a quota of seats.
package struct TicketVariant: Hashable, Sendable {
    package static let maxPrice: Int64 = 100_000_000_000
    static let maxQuota: Int64 = 10_000_000

    package let id: VariantID
    package let organizerID: OrganizerID
    package let eventID: EventID
    package var name: String
    /// Minor units of the event's currency.
    package var price: Int64
    package var quota: Int64
    package var maxPerOrder: Int64?
    package var salesStart: Timestamp?
    package var salesEnd: Timestamp?
    package var status: VariantStatus
    /// Seats paid for and seats held by open reservations; only checkout changes them.
    package let sold: Int64
    package let reserved: Int64
    package let createdAt: Timestamp
    package var updatedAt: Timestamp

    package init(
        id: VariantID, organizerID: OrganizerID, eventID: EventID, name: String, price: Int64, quota: Int64,
        maxPerOrder: Int64?, salesStart: Timestamp?, salesEnd: Timestamp?, status: VariantStatus,
        sold: Int64, reserved: Int64, createdAt: Timestamp, updatedAt: Timestamp
    ) {
        self.id = id
        self.organizerID = organizerID
        self.eventID = eventID
        self.name = name
        self.price = price
        self.quota = quota
        self.maxPerOrder = maxPerOrder
        self.salesStart = salesStart
        self.salesEnd = salesEnd
        self.status = status
        self.sold = sold
        self.reserved = reserved
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    package var available: Int64 { max(0, quota - sold - reserved) }

    package func isOnSale(at time: Timestamp) -> Bool {
        status == .live && available > 0 && salesStart.map { time >= $0 } ?? true && salesEnd.map { time < $0 } ?? true
    }

    package func validate() throws(ValidationFailure) {
        var check = Validator()
        check.check(TextRules.isPresent(name, max: 200), "name", "must be 1 to 200 characters")
        check.check(price >= 0, "price", "must not be negative")
        check.check(price <= TicketVariant.maxPrice, "price", "must be at most \(TicketVariant.maxPrice) minor units")
        check.check(quota >= 0, "quota", "must not be negative")
        check.check(quota <= TicketVariant.maxQuota, "quota", "must be at most \(TicketVariant.maxQuota)")
        if let maxPerOrder { check.check((1...1000).contains(maxPerOrder), "max_per_order", "must be between 1 and 1000") }
        if let salesStart, let salesEnd { check.check(salesEnd > salesStart, "sales_end", "must be after sales_start") }
        if !check.hasError(for: "quota") {
            check.check(quota >= sold + reserved, "quota", "must not be below the \(sold + reserved) seats already sold or reserved")
        }
        try check.throwIfFailed()
    }
}
