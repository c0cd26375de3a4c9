import PluginKit

/// An order as its organizer sees it.
struct OrderBody: Encodable {
    let id: String, eventId: String, status: String, email: String, name: String?, currency: String, total: Int64, refunded: Int64
    let provider: String, checkoutUrl: String?, expiresAt: Timestamp, paidAt: Timestamp?, reviewReason: String?, disputeReason: String?
    let lines: [OrderLineBody], createdAt: Timestamp, updatedAt: Timestamp

    init(_ order: Order) {
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

struct RefundBody: Encodable {
    let id: String, orderId: String, amount: Int64, currency: String, status: String, providerReference: String?
    var reason: String?
    var error: String?
    var createdAt: Timestamp?
}

extension RefundBody {
    init(_ record: RefundRecord) {
        self.init(id: record.id.rawValue, orderId: record.orderID.rawValue, amount: record.amount, currency: record.currency,
                  status: record.status, providerReference: record.providerRefund, reason: record.reason, error: record.error,
                  createdAt: record.createdAt)
    }

    init(_ refund: RefundService.Requested) {
        self.init(id: refund.id.rawValue, orderId: refund.order.id.rawValue, amount: refund.amount.minorUnits,
                  currency: refund.amount.currency.code, status: "requested", providerReference: refund.reference)
    }
}
