import Platform

/// A ticket as its buyer or organizer sees it; the token (what the QR code carries) only while it admits.
struct TicketBody: Encodable {
    let id: String
    let orderId: String
    let eventId: String
    let variantId: String
    let seat: Int64
    let status: TicketStatus
    let blocked: Bool
    let admittedAt: String?
    let token: String?
    let qrUrl: String

    init(_ ticket: Ticket, qrURL: String) {
        id = ticket.id.rawValue
        orderId = ticket.orderID.rawValue
        eventId = ticket.eventID.rawValue
        variantId = ticket.variantID.rawValue
        seat = ticket.seat
        status = ticket.status
        blocked = ticket.blockedReason != nil
        admittedAt = ticket.admittedAt?.rfc3339
        token = ticket.status == .valid ? ticket.token : nil
        qrUrl = qrURL
    }
}
