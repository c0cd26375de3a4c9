import PluginKit

/// An order as its organizer sees it.
struct OrderBody: Encodable {
    let id: String, eventId: String, status: String, email: String, name: String?, currency: String, total: Int64, refunded: Int64
    /// What buyer credit paid of `total` (minor units); the provider took the rest.
    let creditAmount: Int64
    let provider: String, checkoutUrl: String?, expiresAt: Timestamp, paidAt: Timestamp?, reviewReason: String?, disputeReason: String?
    let lines: [OrderLineBody], createdAt: Timestamp, updatedAt: Timestamp

    init(_ order: Order) {
        creditAmount = order.creditAmount
        id = order.id.rawValue
        eventId = order.eventID.rawValue
        status = order.status.rawValue
        email = order.email
        name = order.buyerName
        currency = order.total.currency.code
        total = order.total.minorUnits
        refunded = order.refunded
        provider = order.provider
        checkoutUrl = order.payableCheckoutURL
        expiresAt = order.expiresAt
        paidAt = order.paidAt
        reviewReason = order.reviewReason
        disputeReason = order.disputeReason
        lines = order.lines.map(OrderLineBody.init)
        createdAt = order.createdAt
        updatedAt = order.updatedAt
    }
}

/// The JSON of an order as its buyer sees it (snake_case on the wire): the answer checkout gives,
/// stored under its Idempotency-Key, and what the buyer's order routes answer.
struct OrderLineBody: Encodable {
    let variantId: String, quantity: Int64, unitPrice: Int64
    init(_ line: OrderLine) {
        variantId = line.variantID.rawValue
        quantity = line.quantity
        unitPrice = line.unitPrice
    }
}
