import PluginKit

struct APIKeyBody: Encodable {
    let id: String, key: String, prefix: String, scope: String
    init(_ key: IssuedAPIKey) {
        id = key.id.rawValue
        self.key = key.secret
        prefix = key.prefix
        scope = key.scope.rawValue
    }
}

struct CreatedOrganizerBody: Encodable {
    let organizer: OrganizerBody
    let apiKey: APIKeyBody
}

struct PublicEventBody: Encodable {
    struct Variant: Encodable {
        let id: String, name: String, price: Int64, currency: String, maxPerOrder: Int64?
        let salesStart: Timestamp?, salesEnd: Timestamp?, available: Int64, onSale: Bool, soldOut: Bool
    }

    let id: String, title: String, venue: String?, startsAt: Timestamp, endsAt: Timestamp?, timezone: String
    let currency: String, variants: [Variant]

    init(_ event: Event, variants: [TicketVariant], now: Timestamp) {
        id = event.id.rawValue
        title = event.title
        venue = event.venue
        startsAt = event.startsAt
        endsAt = event.endsAt
        timezone = event.timezone
        currency = event.currency.code
        self.variants = variants.map { variant in
            Variant(id: variant.id.rawValue, name: variant.name, price: variant.price, currency: event.currency.code,
                    maxPerOrder: variant.maxPerOrder, salesStart: variant.salesStart, salesEnd: variant.salesEnd,
                    available: variant.available, onSale: variant.isOnSale(at: now),
                    soldOut: variant.status == .soldOut || variant.available == 0)
        }
    }
}

package struct ListBody<Item: Encodable>: Encodable {
    package init(data: [Item], nextCursor: String?) {
        self.data = data
        self.nextCursor = nextCursor
    }

    let data: [Item]
    /// Pass as `after` to read the next page; absent on the last page.
    let nextCursor: String?
}
