import Foundation
import Platform
import PlatformTesting
import Testing
@testable import Ticketing

@Suite struct ConfirmationMailTests {
    @Test(arguments: TestEngines.all)
    func aPaidOrderQueuesOneConfirmationWhoseQRCodesAreItsTickets(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let order = try await h.paidOrder(quantity: 2)
            // A redelivered payment changes nothing, and queues nothing more.
            _ = try await h.base.deliver(id: "evt-again-\(order.id)", type: "paid", order: order.id, amount: 5_000, reference: "pay-\(order.id)")
            await h.base.drain()
            let engine = h.database.engine
            let queued = try await h.database.read { sql in try await OutboxRepository(sql, engine: engine).list(statuses: [.queued], after: nil, limit: 10) }
            #expect(queued.count == 1)
            let message = try #require(queued.first)
            #expect(message.kind == .orderConfirmation && message.idempotencyKey == "order-confirmation-\(order.id)")
            #expect(message.organizerID != nil && message.recipient == "buyer@example.com")

            let composer = try await MailComposer.load(directory: MailComposer.defaultDirectory(), renderers: h.module.inlineImageRenderers)
            let mail = try composer.compose(message)
            #expect(mail.from.email == "tickets@platform.example" && mail.replyTo != nil)
            #expect(mail.text.contains("(UTC+0") && mail.html.contains("(UTC+0"), "the event's time with its offset")
            let images = mail.attachments.filter { $0.contentID != nil }
            #expect(images.count == 2 && images.allSatisfy { $0.contentType == "image/png" })
            for id in order.ticketIDs { #expect(mail.html.contains("cid:qr-\(id)")) }
            #expect(images.map(\.contentID) == order.ticketIDs.map { "qr-\($0)" })
            // The event for the buyer's calendar: a file, its times in UTC.
            let calendar = try #require(mail.attachments.first { $0.filename == "event.ics" })
            #expect(calendar.contentID == nil && calendar.contentType.hasPrefix("text/calendar"))
            let ics = String(decoding: calendar.content, as: UTF8.self)
            #expect(ics.hasPrefix("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") && ics.hasSuffix("END:VEVENT\r\nEND:VCALENDAR\r\n"))
            #expect(ics.contains("\r\nSUMMARY:Harness Night\r\n") && ics.contains("\r\nDTSTART:") && ics.contains("Z\r\nSUMMARY"))
            // Each inline image is the QR code of its own ticket's token.
            if let decoded = try await QRDecoder.decode(images.map(\.content)) {
                #expect(decoded == order.tokens.map { [$0] })
            }
            // The link in the email opens the order's tickets with a token of its own.
            let link = try #require(mail.text.split(separator: "\n").last.map(String.init).flatMap { $0.split(separator: " ").last.map(String.init) })
            let path = try #require(URL(string: link)).path + "?" + (URL(string: link)?.query ?? "")
            #expect(!link.contains(order.accessToken))
            let opened = try await h.client.get(path)
            #expect(opened.status == .ok, "\(opened.text)")
            for id in order.ticketIDs { #expect(opened.text.contains("/api/v1/public/tickets/\(id)/qr.png?token=")) }
            let token = try #require(URLComponents(string: link)?.queryItems?.first { $0.name == "token" }?.value)
            let listed = try await h.client.get("/api/v1/public/orders/\(order.id)/tickets?token=\(token)")
            #expect((listed.json["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == order.ticketIDs)
            #expect(try await h.client.get("/api/v1/public/orders/\(order.id)/tickets?token=ord_tok_wrong").status == .notFound)
        }
    }

    /// The instance: two events in the repeated autumn hour used to read the same
    /// "Sunday, 31 October 2027, 02:30 (Europe/Berlin)"; each now carries its offset.
    @Test func theEventTimeIsShownInTheEventsTimezoneWithItsOffset() {
        func at(_ text: String, _ zone: String) -> String { OrderConfirmation.localTime(Timestamp(rfc3339: text)!, timezone: zone) }
        #expect(at("2026-06-06T17:30:00Z", "Europe/Berlin") == "Saturday, 6 June 2026, 19:30 CEST (UTC+02:00, Europe/Berlin)")
        #expect(at("2026-06-06T17:30:00Z", "America/New_York") == "Saturday, 6 June 2026, 13:30 (UTC-04:00, America/New_York)")
        // Autumn: the hour from 02:00 to 03:00 comes twice.
        #expect(at("2027-10-31T00:30:00Z", "Europe/Berlin") == "Sunday, 31 October 2027, 02:30 CEST (UTC+02:00, Europe/Berlin)")
        #expect(at("2027-10-31T01:30:00Z", "Europe/Berlin") == "Sunday, 31 October 2027, 02:30 CET (UTC+01:00, Europe/Berlin)")
        // Spring: 02:00 to 03:00 does not happen.
        #expect(at("2027-03-28T00:30:00Z", "Europe/Berlin") == "Sunday, 28 March 2027, 01:30 CET (UTC+01:00, Europe/Berlin)")
        #expect(at("2027-03-28T01:30:00Z", "Europe/Berlin") == "Sunday, 28 March 2027, 03:30 CEST (UTC+02:00, Europe/Berlin)")
        // Zones without daylight saving time, one of them half an hour off.
        #expect(at("2027-10-31T01:30:00Z", "Asia/Tokyo") == "Sunday, 31 October 2027, 10:30 (UTC+09:00, Asia/Tokyo)")
        #expect(at("2027-10-31T01:30:00Z", "Asia/Kolkata") == "Sunday, 31 October 2027, 07:00 (UTC+05:30, Asia/Kolkata)")
        #expect(at("2027-10-31T01:30:00Z", "UTC") == "Sunday, 31 October 2027, 01:30 UTC")
    }

    @Test func calendarFilesEscapeFoldAndKeepUTC() {
        let now = Timestamp(rfc3339: "2027-10-31T00:30:00Z")!
        var event = Event(id: .generate(at: now), organizerID: .generate(at: now), title: "Rock, Paper; \\Scissors\nLive " + String(repeating: "é", count: 60),
                          venue: "Hall 1", startsAt: now, endsAt: now.adding(minutes: 120), timezone: "Europe/Berlin", currency: .eur,
                          status: .live, reservationMinutes: 15, redirectOrigins: [], createdAt: now, updatedAt: now)
        event.venue = "Hall 1, Berlin"
        let ics = EventCalendar.ics(event, organizer: "Demo \"Events\"", host: "tickets.example", stamp: now)
        #expect(ics.contains("DTSTART:20271031T003000Z\r\nDTEND:20271031T023000Z\r\n"))
        #expect(ics.contains("SUMMARY:Rock\\, Paper\\; \\\\Scissors\\nLive "))
        #expect(ics.contains("LOCATION:Hall 1\\, Berlin"))
        #expect(ics.contains("ORGANIZER;CN=\"Demo 'Events'\":mailto:noreply@tickets.example"))
        for line in ics.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 75, "\(line)") }
        let unfolded = ics.replacingOccurrences(of: "\r\n ", with: "")
        #expect(unfolded.contains("Live " + String(repeating: "é", count: 60) + "\r\n"), "folded whole characters only")
        // Control characters, C0, DEL and C1 (U+0085), are dropped; a title without any is kept as it is.
        for (title, written) in [("Bell\u{7}Del\u{7F}End", "BellDelEnd"), ("Next\u{85}Line Ünïcödé", "NextLine Ünïcödé")] {
            event.title = title
            #expect(EventCalendar.ics(event, organizer: "Demo", host: "tickets.example", stamp: now).contains("SUMMARY:\(written)\r\n"))
        }
    }

    @Test func exportsGiveTheLocalTimeWithItsOffset() {
        func at(_ text: String, _ zone: String) -> String { LocalTime.rfc3339(Timestamp(rfc3339: text)!, timezone: zone) }
        #expect(at("2027-10-31T00:30:00Z", "Europe/Berlin") == "2027-10-31T02:30:00+02:00")
        #expect(at("2027-10-31T01:30:00Z", "Europe/Berlin") == "2027-10-31T02:30:00+01:00")
        #expect(at("2027-10-31T01:30:00Z", "America/New_York") == "2027-10-30T21:30:00-04:00")
        #expect(at("2027-10-31T01:30:00Z", "Asia/Kolkata") == "2027-10-31T07:00:00+05:30")
        #expect(at("2027-10-31T01:30:00Z", "UTC") == "2027-10-31T01:30:00+00:00")
    }

    /// The model is the JSON the dictionary it replaced gave, absent values written as null.
    @Test func theModelIsTheJSONOfTheDictionaryItReplaced() throws {
        let model = OrderConfirmation.Model(
            organizer: .init(name: "Harness"), buyer: .init(name: nil, email: "b@example.com"),
            event: .init(title: "Night", startsAt: "Saturday, 6 June 2026, 19:30 CEST", venue: nil),
            order: .init(id: "ord_1", total: "EUR 25.00", url: "https://x.example/my-tickets/orders/ord_1?token=t"),
            tickets: [.init(id: "tkt_1", variant: "Standing", seat: 1, price: "EUR 25.00", cid: "qr-tkt_1")])
        let dictionary: [String: Any] = [
            "organizer": ["name": "Harness"], "buyer": ["name": NSNull(), "email": "b@example.com"],
            "event": ["title": "Night", "starts_at": "Saturday, 6 June 2026, 19:30 CEST", "venue": NSNull()],
            "order": ["id": "ord_1", "total": "EUR 25.00", "url": "https://x.example/my-tickets/orders/ord_1?token=t"],
            "tickets": [["id": "tkt_1", "variant": "Standing", "seat": 1, "price": "EUR 25.00", "cid": "qr-tkt_1"] as [String: Any]],
        ]
        let sender = MailAddress(email: "tickets@platform.example", name: "Harness")
        let encoded = try MailContent(sender: sender, replyTo: nil, modelValue: model).model
        let serialized = try MailContent(sender: sender, replyTo: nil, modelObject: dictionary).model
        #expect(encoded == serialized)
        #expect(encoded.contains("\"venue\":null") && encoded.contains("\"name\":null"))
    }

    /// Payments applied in one inbox batch read the organizer, event and variants once; each email
    /// still lists its own order's tickets.
    @Test(arguments: TestEngines.all)
    func eachPaymentOfABatchQueuesItsOwnConfirmation(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            var orders: [String: Int] = [:]
            for quantity in 1...3 {
                let placed = try await h.base.placeOrder(body: h.base.cart(quantity: quantity, email: "buyer\(quantity)@example.com"))
                let id = try #require(placed.orderID)
                orders[id] = quantity
                _ = try await h.base.deliver(id: "evt-\(id)", type: "paid", order: id, amount: 2_500 * Int64(quantity), reference: "pay-\(id)")
            }
            #expect(await h.base.drain() == 3)
            #expect(h.base.platform.inbox.batchesRolledBack == 0, "the three were applied as one batch")
            let engine = h.database.engine
            let queued = try await h.database.read { sql in try await OutboxRepository(sql, engine: engine).list(statuses: [.queued], after: nil, limit: 10) }
            #expect(queued.count == 3)
            for message in queued {
                let id = String(message.idempotencyKey.dropFirst("order-confirmation-".count))
                let quantity = try #require(orders[id])
                let model = try #require(try JSONSerialization.jsonObject(with: Data(message.content.model.utf8)) as? [String: Any])
                let tickets = try #require(model["tickets"] as? [[String: Any]])
                #expect(message.recipient == "buyer\(quantity)@example.com" && tickets.count == quantity)
                #expect(try await h.count("tickets", where: "order_id = '\(id)'") == quantity)
                for ticket in tickets {
                    let ticketID = try #require(ticket["id"] as? String)
                    #expect(try await h.count("tickets", where: "id = '\(ticketID)' AND order_id = '\(id)'") == 1)
                }
                #expect((model["organizer"] as? [String: Any])?["name"] as? String != nil)
                #expect((model["event"] as? [String: Any])?["title"] as? String != nil)
                // The link's token, written with the batch's other tokens, opens this order and no other.
                let link = try #require((model["order"] as? [String: Any])?["url"] as? String)
                let url = try #require(URLComponents(string: link))
                let token = try #require(url.queryItems?.first { $0.name == "token" }?.value)
                let read = try await h.client.get("/api/v1/public/orders/\(id)?token=\(token)")
                #expect(read.status == .ok && read.string("id") == id)
                let other = try #require(orders.keys.first { $0 != id })
                #expect(try await h.client.get("/api/v1/public/orders/\(other)?token=\(token)").status == .notFound)
            }
        }
    }

    /// A payment and its refund in one batch: the refund finds the tickets the payment issued,
    /// though the batch writes them together at its end.
    @Test(arguments: TestEngines.all)
    func aRefundInThePaymentsBatchRefundsItsTickets(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            // Seats sold before: the refund's release does not undercut the batch's deferred sale,
            // which would send the batch back to one row at a time.
            let earlier = try await h.paidOrder(quantity: 2)
            let id = try #require(try await h.base.placeOrder(body: h.base.cart(quantity: 2)).orderID)
            _ = try await h.base.deliver(id: "evt-paid", type: "paid", order: id, amount: 5_000, reference: "pay-\(id)")
            h.clock.advance(seconds: 1)
            _ = try await h.base.deliver(id: "evt-refund", type: "refunded", order: id, amount: 5_000, reference: "pay-\(id)")
            #expect(await h.base.drain() == 2)
            #expect(h.base.platform.inbox.batchesRolledBack == 0, "the payment and the refund were applied as one batch")
            #expect(try await h.count("webhook_inbox", where: "status = 'processed'") == 3, "the earlier payment and both of this order's applied")
            #expect(try await h.count("tickets", where: "order_id = '\(id)' AND status = 'refunded'") == 2)
            #expect(try await h.count("tickets", where: "order_id = '\(id)' AND status <> 'refunded'") == 0)
            #expect(try await h.count("outbox_messages", where: "idempotency_key = 'order-confirmation-\(id)'") == 1)
            #expect(try await h.count("tickets", where: "order_id = '\(earlier.id)' AND status = 'valid'") == 2)
            #expect(try await h.base.variantCounts() == (2, 0), "the earlier order's seats sold, the refunded ones back")
        }
    }
}
