import Foundation
import Platform
import SQLKit

/// Where confirmation emails come from and link to.
package struct TicketMailSettings: Sendable {
    /// The platform's sending address; the organizer's sender name and reply-to go with it.
    package let from: String
    package let baseURL: String

    package init(from: String, baseURL: String) {
        self.from = from
        self.baseURL = baseURL
    }
}

/// The "your tickets" email, queued in the transaction that issues the tickets it lists: one
/// inline QR per ticket, the event's time in its own timezone, and a link to the order page that
/// carries a new access token of the order.
struct OrderConfirmation: Sendable {
    let settings: TicketMailSettings

    func enqueue(_ order: Order, event: Event, tickets: [Ticket], at time: Timestamp, on sql: any SQLDatabase) async throws {
        guard let organizer = try await OrganizerRepository(sql).find(order.organizerID) else { throw PlatformError.notFound("organizer") }
        let variants = Dictionary(uniqueKeysWithValues: try await VariantRepository(sql).list(event: event.id).map { ($0.id, $0.name) })
        let token = try await OrderRepository(sql).issueAccessToken(order.id, purpose: "confirmation email", at: time)
        let model: [String: Any] = [
            "organizer": ["name": organizer.name],
            "buyer": ["name": order.buyerName as Any, "email": order.email],
            "event": ["title": event.title, "starts_at": Self.localTime(event.startsAt, timezone: event.timezone), "venue": event.venue as Any],
            "order": ["id": order.id.rawValue, "total": order.total.description,
                      "url": "\(settings.baseURL)/my-tickets/orders/\(order.id)?token=\(token)"],
            "tickets": tickets.map { ticket in
                ["id": ticket.id.rawValue, "variant": variants[ticket.variantID] ?? "Ticket", "seat": ticket.seat,
                 "price": Money(minorUnits: ticket.unitPrice, currency: order.total.currency).description,
                 "cid": Self.contentID(ticket)] as [String: Any]
            },
        ]
        let (sender, replyTo) = organizer.mailSender(platformAddress: settings.from)
        let content = try MailContent(
            sender: sender, replyTo: replyTo, modelObject: model,
            images: tickets.map { InlineImage(contentID: Self.contentID($0), filename: "ticket-\($0.seat).png", renderer: "qr", value: $0.token) }
                // The event for the buyer's calendar, as a file beside the QR codes.
                + [InlineImage(contentID: "", filename: "event.ics", renderer: "calendar",
                               value: EventCalendar.ics(event, organizer: organizer.name, host: URLComponents(string: settings.baseURL)?.host ?? "localhost",
                                                        stamp: time))])
        try await Outbox.enqueue(Notice(kind: .orderConfirmation, organizer: order.organizerID, recipient: order.email, content: content,
                                        idempotencyKey: "order-confirmation-\(order.id)"), at: time, on: sql)
    }

    static func contentID(_ ticket: Ticket) -> String { "qr-\(ticket.id.rawValue)" }

    /// "Saturday, 6 June 2026, 19:30 CEST (UTC+02:00, Europe/Berlin)": the time people will see on
    /// the door, with its offset (see `LocalTime`).
    static func localTime(_ time: Timestamp, timezone: String) -> String { LocalTime.text(time, timezone: timezone) }
}
