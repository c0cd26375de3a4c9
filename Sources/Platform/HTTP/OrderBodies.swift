import PluginKit

struct RefundBody: Encodable {
    let id: String, orderId: String, amount: Int64, currency: String, status: String, providerReference: String?
    var reason: String?
    var error: String?
    var createdAt: Timestamp?
    /// The stray payment (a second charge) this refund gives back; absent for the order's own payment.
    var paymentReference: String?
    /// Of a refund just asked for: what went back to the buyer's wallet at once (minor units), beside
    /// `amount`, the provider's part.
    var creditAmount: Int64?
}

extension RefundBody {
    init(_ record: RefundRecord) {
        self.init(id: record.id.rawValue, orderId: record.orderID.rawValue, amount: record.amount, currency: record.currency,
                  status: record.status, providerReference: record.providerRefund, reason: record.reason, error: record.error,
                  createdAt: record.createdAt, paymentReference: record.paymentReference)
    }

    init(_ refund: RefundService.Requested) {
        self.init(id: refund.id.rawValue, orderId: refund.order.id.rawValue, amount: refund.amount.minorUnits,
                  currency: refund.amount.currency.code, status: refund.settled ? "succeeded" : "requested", providerReference: refund.reference)
        creditAmount = refund.creditAmount > 0 ? refund.creditAmount : nil
    }
}
