import Platform

package enum TicketKind: IDKind { package static let prefix = "tkt", noun = "ticket" }
package enum ScanKind: IDKind { package static let prefix = "scn", noun = "scan" }
package typealias TicketID = TypedID<TicketKind>
package typealias ScanID = TypedID<ScanKind>

/// A ticket's own state; `blocked` and admission are kept beside it, since a blocked ticket
/// stays valid (it can be unblocked) and admission does not change what was bought.
package enum TicketStatus: String, Sendable, Codable, CaseIterable {
    case valid, refunded, cancelled
}

/// One seat of a paid order, with the signed token its QR code carries.
package struct Ticket: Sendable, Hashable {
    package let id: TicketID
    package let organizerID: OrganizerID
    package let eventID: EventID
    package let variantID: VariantID
    package let orderID: OrderID
    package let seat: Int64
    /// What the seat cost, in the order's minor units: what refunding this ticket alone gives back.
    package let unitPrice: Int64
    package var status: TicketStatus
    package let version: Int64
    package let token: String
    package var blockedReason: String?
    package var blockedAt: Timestamp?
    package var admittedAt: Timestamp?
    package var admittedBy: String?
    package var inside: Bool
    package let createdAt: Timestamp
}
