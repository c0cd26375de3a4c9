import Foundation
import Platform

extension BuyerOrder {
    /// The page model; `qrSource` gives each valid ticket's image address.
    func pageModel(qrSource: (Ticket) -> String) -> [String: Any] {
        [
            "id": order.id.rawValue,
            "status": order.status.rawValue.replacingOccurrences(of: "_", with: " "),
            "total": order.total.description,
            "event": ["title": event.title, "starts_at": OrderConfirmation.localTime(event.startsAt, timezone: event.timezone),
                      "venue": event.venue as Any],
            "tickets": tickets.map { ticket in
                ["id": ticket.id.rawValue, "seat": ticket.seat, "variant": variantNames[ticket.variantID] ?? "Ticket",
                 "status": ticket.status.rawValue, "valid": ticket.status == .valid,
                 "qr_src": ticket.status == .valid ? qrSource(ticket) : ""] as [String: Any]
            },
        ]
    }
}

struct BuyerOrderBody: Encodable {
    let order: PublicOrderBody
    let event: EventSummary
    let tickets: [TicketBody]

    struct EventSummary: Encodable {
        let id: String, title: String, startsAt: Timestamp, endsAt: Timestamp?, timezone: String, venue: String?
    }

    init(_ loaded: BuyerOrder, qrURL: (Ticket) -> String) {
        order = PublicOrderBody(loaded.order)
        let event = loaded.event
        self.event = EventSummary(id: event.id.rawValue, title: event.title, startsAt: event.startsAt, endsAt: event.endsAt,
                                  timezone: event.timezone, venue: event.venue)
        tickets = loaded.tickets.map { TicketBody($0, qrURL: qrURL($0)) }
    }
}

struct MyTicketsBody: Encodable {
    let email: String
    let expiresAt: Timestamp
    let orders: [BuyerOrderBody]
}
