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

extension BuyerOrder {
    /// The order page's model (`templates/web/order.mustache`): one flag for the state the order is
    /// in, the tickets once paid, and where the page asks for the order's status while it waits.
    func orderPageModel(accessToken: String) -> [String: Any] {
        let query = "?token=" + URLForm.escape(accessToken)
        let status = order.status
        let refunded = Money(minorUnits: order.refunded, currency: order.total.currency)
        return [
            "title": "Order \(order.id.rawValue)", "event_title": event.title, "event_id": event.id.rawValue, "organizer": organizerName,
            "starts_at": LocalTime.text(event.startsAt, timezone: event.timezone), "venue": event.venue as Any,
            "order_id": order.id.rawValue, "status": status.rawValue, "email": order.email, "total": order.total.description,
            "partly_refunded": order.refunded > 0 && status != .refunded, "refunded_amount": refunded.description,
            "waiting": status == .pending, "paid": status == .paid || status == .partiallyRefunded, "review": status == .review,
            "expired": status == .expired, "failed": status == .failed, "cancelled": status == .cancelled, "refunded": status == .refunded,
            "checkout_url": order.payableCheckoutURL as Any,
            "expires_at": LocalTime.text(order.expiresAt, timezone: event.timezone),
            "poll_url": status == .pending ? "/api/v1/public/orders/\(order.id)\(query)" : "",
            "ics_url": "/my-tickets/orders/\(order.id)/event.ics\(query)",
            "has_tickets": !tickets.isEmpty && status != .refunded,
            "tickets": tickets.map { ticket in
                ["ticket_id": ticket.id.rawValue, "seat": ticket.seat, "variant": variantNames[ticket.variantID] ?? "Ticket",
                 "ticket_status": ticket.status.rawValue, "valid": ticket.status == .valid,
                 "qr_src": "/api/v1/public/tickets/\(ticket.id)/qr.png\(query)"] as [String: Any]
            },
            "script": status == .pending ? "order.js" : false,
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
