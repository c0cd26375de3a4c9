import Platform

public enum TicketKind: IDKind { public static let prefix = "tkt", noun = "ticket" }
public enum ScanKind: IDKind { public static let prefix = "scn", noun = "scan" }
public typealias TicketID = TypedID<TicketKind>
public typealias ScanID = TypedID<ScanKind>

/// A ticket's own state; `blocked` and admission are kept beside it, since a blocked ticket
/// stays valid (it can be unblocked) and admission does not change what was bought.
public enum TicketStatus: String, Sendable, Codable, CaseIterable {
    case valid, refunded, cancelled
}

/// One seat of a paid order, with the signed token its QR code carries.
public struct Ticket: Sendable, Hashable {
    public let id: TicketID
    public let organizerID: OrganizerID
    public let eventID: EventID
    public let variantID: VariantID
    public let orderID: OrderID
    public let seat: Int64
    /// What the seat cost, in the order's minor units: what refunding this ticket alone gives back.
    public let unitPrice: Int64
    public var status: TicketStatus
    public let version: Int64
    public let token: String
    public var blockedReason: String?
    public var blockedAt: Timestamp?
    public var admittedAt: Timestamp?
    public var admittedBy: String?
    public var inside: Bool
    public let createdAt: Timestamp
}
