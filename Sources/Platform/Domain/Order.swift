import PluginKit

package enum OrderStatus: String, Sendable, Codable, CaseIterable {
    case pending
    case paid
    case refunded
    case partiallyRefunded = "partially_refunded"
    case expired
    case cancelled
    case failed
    case review

    /// A payment may still be honoured in these states (it arrived late, or after the buyer gave up).
    var acceptsLatePayment: Bool { self == .expired || self == .cancelled || self == .failed }
    var isPaidOrRefunded: Bool { self == .paid || self == .partiallyRefunded || self == .refunded }
}

/// Where an order's seats are: held by the reservation, sold to it, or given back to the quota.
package enum SeatState: String, Sendable, Codable {
    case held
    case sold
    case released
}

package struct OrderLine: Hashable, Sendable {
    package let variantID: VariantID
    package let quantity: Int64
    package let unitPrice: Int64

    package init(variantID: VariantID, quantity: Int64, unitPrice: Int64) {
        self.variantID = variantID
        self.quantity = quantity
        self.unitPrice = unitPrice
    }
}

package struct Order: Hashable, Sendable {
    package let id: OrderID
    package let organizerID: OrganizerID
    package let eventID: EventID
    package var status: OrderStatus
    package var seats: SeatState
    package let email: String
    package let buyerName: String?
    package let total: Money
    package var refunded: Int64
    package let provider: String
    var providerSession: String?
    var providerPayment: String?
    var checkoutURL: String?
    package var reviewReason: String?
    package var disputeReason: String?
    package let expiresAt: Timestamp
    package var paidAt: Timestamp?
    package let createdAt: Timestamp
    package var updatedAt: Timestamp
    package var lines: [OrderLine]
    /// The organizer's fee rate when the order was placed (basis points); nil for older orders.
    package var feeBasisPoints: Int? = nil
    /// The credit pack this order buys (a purchase of the platform's, with no lines); nil for tickets.
    package var creditPackID: CreditPackID? = nil
    /// What the buyer's wallet pays of `total` (minor units); the provider is asked for the rest.
    package var creditAmount: Int64 = 0

    /// What the order's provider takes: the total less the wallet's part (minor units).
    package var providerDue: Int64 { total.minorUnits - creditAmount }

    /// Where the buyer pays, while the order waits for it.
    /// Box office sales are recorded as paid through this provider id, which no plugin has: the
    /// buyer paid the organizer at the door.
    package static let boxOfficeProvider = "box_office"

    package var payableCheckoutURL: String? { status == .pending ? checkoutURL : nil }

    package init(
        id: OrderID, organizerID: OrganizerID, eventID: EventID, status: OrderStatus, seats: SeatState, email: String,
        buyerName: String?, total: Money, refunded: Int64, provider: String, providerSession: String?, providerPayment: String?,
        checkoutURL: String?, reviewReason: String?, disputeReason: String?, expiresAt: Timestamp, paidAt: Timestamp?,
        createdAt: Timestamp, updatedAt: Timestamp, lines: [OrderLine]
    ) {
        self.id = id
        self.organizerID = organizerID
        self.eventID = eventID
        self.status = status
        self.seats = seats
        self.email = email
        self.buyerName = buyerName
        self.total = total
        self.refunded = refunded
        self.provider = provider
        self.providerSession = providerSession
        self.providerPayment = providerPayment
        self.checkoutURL = checkoutURL
        self.reviewReason = reviewReason
        self.disputeReason = disputeReason
        self.expiresAt = expiresAt
        self.paidAt = paidAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.lines = lines
    }

    var seatCount: Int64 { lines.reduce(0) { $0 + $1.quantity } }
}
