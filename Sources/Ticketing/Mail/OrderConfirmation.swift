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
        let organizer = try await BatchReads.value("organizer:\(order.organizerID)") {
            guard let organizer = try await OrganizerRepository(sql).find(order.organizerID) else { throw PlatformError.notFound("organizer") }
            return organizer
        }
        let variants = try await BatchReads.value("variant-names:\(event.id)") {
            Dictionary(uniqueKeysWithValues: try await VariantRepository(sql).list(event: event.id).map { ($0.id, $0.name) })
        }
        let token = try await OrderRepository(sql).issueAccessToken(order.id, purpose: "confirmation email", at: time)
        let model = Model(
            organizer: .init(name: organizer.name),
            buyer: .init(name: order.buyerName, email: order.email),
            event: .init(title: event.title, startsAt: Self.localTime(event.startsAt, timezone: event.timezone), venue: event.venue),
            order: .init(id: order.id.rawValue, total: order.total.description, url: "\(settings.baseURL)/my-tickets/orders/\(order.id)?token=\(token)"),
            tickets: tickets.map { ticket in
                .init(id: ticket.id.rawValue, variant: variants[ticket.variantID] ?? "Ticket", seat: ticket.seat,
                      price: Money(minorUnits: ticket.unitPrice, currency: order.total.currency).description, cid: Self.contentID(ticket))
            })
        let (sender, replyTo) = organizer.mailSender(platformAddress: settings.from)
        let content = try MailContent(
            sender: sender, replyTo: replyTo, modelValue: model,
            images: tickets.map { InlineImage(contentID: Self.contentID($0), filename: "ticket-\($0.seat).png", renderer: "qr", value: $0.token) }
                // The event for the buyer's calendar, as a file beside the QR codes.
                + [InlineImage(contentID: "", filename: "event.ics", renderer: "calendar",
                               value: EventCalendar.ics(event, organizer: organizer.name, host: URLComponents(string: settings.baseURL)?.host ?? "localhost",
                                                        stamp: time))])
        try await Outbox.enqueueBatchable(Notice(kind: .orderConfirmation, organizer: order.organizerID, recipient: order.email, content: content,
                                        idempotencyKey: "order-confirmation-\(order.id)"), at: time, on: sql)
    }

    static func contentID(_ ticket: Ticket) -> String { "qr-\(ticket.id.rawValue)" }

    /// What the `order_confirmation` templates read. Absent values are written as null, as they were
    /// when the model was a dictionary.
    struct Model: Encodable {
        struct Named: Encodable { let name: String }
        struct Buyer: Encodable {
            let name: String?
            let email: String
            enum CodingKeys: String, CodingKey { case name, email }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(name, forKey: .name)
                try container.encode(email, forKey: .email)
            }
        }
        struct EventPart: Encodable {
            let title: String
            let startsAt: String
            let venue: String?
            enum CodingKeys: String, CodingKey { case title, startsAt = "starts_at", venue }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(title, forKey: .title)
                try container.encode(startsAt, forKey: .startsAt)
                try container.encode(venue, forKey: .venue)
            }
        }
        struct OrderPart: Encodable { let id: String, total: String, url: String }
        struct TicketPart: Encodable {
            let id: String, variant: String
            let seat: Int64
            let price: String, cid: String
        }
        let organizer: Named
        let buyer: Buyer
        let event: EventPart
        let order: OrderPart
        let tickets: [TicketPart]
    }

    /// "Saturday, 6 June 2026, 19:30 CEST (UTC+02:00, Europe/Berlin)": the time people will see on
    /// the door, with its offset (see `LocalTime`).
    static func localTime(_ time: Timestamp, timezone: String) -> String { LocalTime.text(time, timezone: timezone) }
}
