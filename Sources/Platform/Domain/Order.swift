import PluginKit

public enum OrderStatus: String, Sendable, Codable, CaseIterable {
    case pending
    case paid
    case refunded
    case partiallyRefunded = "partially_refunded"
    case expired
    case cancelled
    case failed
    case review

    /// A payment may still be honoured in these states (it arrived late, or after the buyer gave up).
    public var acceptsLatePayment: Bool { self == .expired || self == .cancelled || self == .failed }
    public var isPaidOrRefunded: Bool { self == .paid || self == .partiallyRefunded || self == .refunded }
}

/// Where an order's seats are: held by the reservation, sold to it, or given back to the quota.
public enum SeatState: String, Sendable, Codable {
    case held
    case sold
    case released
}

public struct OrderLine: Hashable, Sendable {
    public let variantID: VariantID
    public let quantity: Int64
    public let unitPrice: Int64

    public init(variantID: VariantID, quantity: Int64, unitPrice: Int64) {
        self.variantID = variantID
        self.quantity = quantity
        self.unitPrice = unitPrice
    }
}

public struct Order: Hashable, Sendable {
    public let id: OrderID
    public let organizerID: OrganizerID
    public let eventID: EventID
    public var status: OrderStatus
    public var seats: SeatState
    public let email: String
    public let buyerName: String?
    public let total: Money
    public var refunded: Int64
    public let provider: String
    public var providerSession: String?
    public var providerPayment: String?
    public var checkoutURL: String?
    public var reviewReason: String?
    public var disputeReason: String?
    public let expiresAt: Timestamp
    public var paidAt: Timestamp?
    public let createdAt: Timestamp
    public var updatedAt: Timestamp
    public var lines: [OrderLine]

    public init(
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

    public var seatCount: Int64 { lines.reduce(0) { $0 + $1.quantity } }
}
