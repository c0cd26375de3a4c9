import PluginKit

/// An order as its buyer sees it: no provider references or review notes.
package struct PublicOrderBody: Encodable {
    let id: String, eventId: String, status: String, email: String, currency: String, total: Int64, refunded: Int64
    /// What buyer credit paid of `total` (minor units); the provider took the rest.
    let creditAmount: Int64
    let checkoutUrl: String?, expiresAt: Timestamp, paidAt: Timestamp?, lines: [OrderLineBody], createdAt: Timestamp

    package init(_ order: Order) {
        creditAmount = order.creditAmount
        id = order.id.rawValue
        eventId = order.eventID.rawValue
        status = order.status.rawValue
        email = order.email
        currency = order.total.currency.code
        total = order.total.minorUnits
        refunded = order.refunded
        checkoutUrl = order.payableCheckoutURL
        expiresAt = order.expiresAt
        paidAt = order.paidAt
        lines = order.lines.map(OrderLineBody.init)
        createdAt = order.createdAt
    }
}

/// The answer to a placed order (201), stored under its Idempotency-Key and replayed byte for byte.
struct PlacedOrderBody: Encodable {
    let order: PublicOrderBody
    /// Where the buyer pays; null for a free order, paid at once.
    let checkoutUrl: String?
    let accessToken: String

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(order, forKey: .order)
        try container.encode(checkoutUrl, forKey: .checkoutUrl)
        try container.encode(accessToken, forKey: .accessToken)
    }

    enum CodingKeys: String, CodingKey { case order, checkoutUrl, accessToken }
}
