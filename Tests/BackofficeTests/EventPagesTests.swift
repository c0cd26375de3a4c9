import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing

/// The event editor: the catalog's rules in the API's words, field by field; local times in the
/// event's zone; prices as decimals; go live and cancel.
@Suite struct EventPagesTests {
    @Test(arguments: TestEngines.all)
    func aManagerMakesAnEventAddsTicketsAndPutsItLive(engine: DatabaseEngine) async throws {
        try await BackofficeHarness.run(engine) { h in
            _ = try await h.members.create(email: "manager@harness.example", password: "manager password", role: .manager, organizer: h.organizer)
            var manager = try await h.signedIn("manager@harness.example", password: "manager password")
            let csrf = try #require(try await manager.get("/backoffice/events/new").formValue("csrf"))
            let missing = try await manager.post("/backoffice/events", form: [
                "csrf": csrf, "title": "Gala", "timezone": "Mars/Olympus", "starts_at": "", "ends_at": "", "currency": "EUR", "reservation_minutes": "0",
            ])
            #expect(missing.status == .unprocessableContent)
            #expect(missing.text.contains("Starts at is required.") && missing.text.contains(#"value="Gala""#))
            let wrong = try await manager.post("/backoffice/events", form: [
                "csrf": csrf, "title": "Gala", "timezone": "Mars/Olympus", "starts_at": "2026-12-31T20:00", "ends_at": "2026-12-31T19:00",
                "currency": "EUR", "reservation_minutes": "0",
            ])
            #expect(wrong.status == .unprocessableContent)
            #expect(wrong.text.contains("Ends at must not be before starts_at.") && wrong.text.contains("Reservation minutes must be between 1 and 1440."))
            #expect(wrong.text.contains("Timezone "), "the zone's own message")
            let made = try await manager.post("/backoffice/events", form: [
                "csrf": csrf, "title": "New Year's Gala", "slug": "new-years-gala", "venue": "Hall 1", "timezone": "Europe/Berlin",
                "starts_at": "2026-12-31T20:00",
                "ends_at": "", "currency": "eur", "reservation_minutes": "20",
            ])
            #expect(made.status == .seeOther, "\(made.text)")
            let path = try #require(made.headers[.location]?.split(separator: "?").first.map(String.init))
            let id = try #require(EventID(String(path.split(separator: "/").last ?? "")))
            let (event, _) = try await h.base.platform.catalog.event(id, organizer: h.organizer)
            #expect(event.startsAt == Timestamp(rfc3339: "2026-12-31T19:00:00Z") && event.status == .draft && event.reservationMinutes == 20
                        && event.slug == "new-years-gala",
                    "20:00 in Berlin is 19:00 UTC")
            let page = try await manager.get(try #require(made.headers[.location]))
            #expect(page.text.contains(#"value="2026-12-31T20:00""#) && page.text.contains("Event made as a draft"))

            let badPrice = try await manager.post(path + "/variants", form: ["csrf": csrf, "name": "Floor", "price": "ten", "quota": "100", "status": "live"])
            #expect(badPrice.status == .unprocessableContent && badPrice.text.contains("Price must be an amount in EUR, such as 25.00."))
            let added = try await manager.post(path + "/variants", form: [
                "csrf": csrf, "name": "Floor", "price": "39.90", "quota": "2", "max_per_order": "2", "status": "live",
            ])
            #expect(added.status == .ok && added.text.contains("Ticket added."))
            let variant = try #require(try await h.base.platform.catalog.event(id, organizer: h.organizer).1.first)
            #expect(variant.price == 3_990 && variant.quota == 2 && variant.maxPerOrder == 2)

            let live = try await manager.post(path, form: ["csrf": csrf, "status": "live"])
            #expect(live.text.contains("The event is live") && live.text.contains(#"<strong id="event-status">live</strong>"#))
            #expect(try await h.client.get("/e/\(id)").status == .ok, "buyers see it")
            #expect(try await h.client.get("/e/harness/new-years-gala").status == .ok, "at its readable address too")
            let placed = try await h.client.send(.post, "/api/v1/public/events/\(id)/orders",
                                                 json: #"{"lines":[{"variant_id":"\#(variant.id)","quantity":2}],"email":"a@example.com","provider":"test"}"#,
                                                 headers: [HTTPField.Name("Idempotency-Key")!: "gala-1"])
            #expect(placed.status == .created)
            let below = try await manager.post(path + "/variants/\(variant.id)", form: [
                "csrf": csrf, "name": "Floor", "price": "39.90", "quota": "1", "max_per_order": "", "sales_start": "", "sales_end": "", "status": "live",
            ])
            #expect(below.status == .unprocessableContent && below.text.contains("Quota must not be below the 2 seats already sold or reserved."),
                    "\(below.text.components(separatedBy: "form-errors").dropFirst().first?.prefix(400) ?? "")")
            let cancelled = try await manager.post(path, form: ["csrf": csrf, "status": "cancelled"])
            #expect(cancelled.text.contains(#"<strong id="event-status">cancelled</strong>"#))
            let again = try await manager.post(path, form: ["csrf": csrf, "status": "live"])
            #expect(again.status == .unprocessableContent && again.text.contains("a cancelled event cannot become live"))
        }
    }

    @Test(arguments: TestEngines.all)
    func doorStaffDoNotEditEvents(engine: DatabaseEngine) async throws {
        try await BackofficeHarness.run(engine) { h in
            _ = try await h.members.create(email: "door@harness.example", password: "door staff password", role: .door, organizer: h.organizer)
            var door = try await h.signedIn("door@harness.example", password: "door staff password", lands: "/door")
            #expect(try await door.get("/backoffice/events/new").status == .forbidden)
            #expect(try await door.get("/backoffice/events/\(h.base.eventID)").status == .forbidden)
        }
    }
}
