import Platform
import Testing

@Suite struct RuleTests {
    func event(_ change: (inout Event) -> Void = { _ in }) -> Event {
        let now = Timestamp(milliseconds: 1_700_000_000_000)
        var event = Event(id: .generate(at: now), organizerID: .generate(at: now), title: "Gig", venue: nil, startsAt: now,
                          endsAt: nil, timezone: "Europe/Berlin", currency: .eur, status: .draft, reservationMinutes: 15,
                          redirectOrigins: [], createdAt: now, updatedAt: now)
        change(&event)
        return event
    }

    func fields(_ event: Event) -> [String] {
        do { try event.validate(); return [] } catch { return error.errors.map(\.field) }
    }

    @Test func eventRules() {
        #expect(fields(event()) == [])
        #expect(fields(event { $0.title = "  " }) == ["title"])
        #expect(fields(event { $0.endsAt = $0.startsAt.adding(minutes: -1) }) == ["ends_at"])
        #expect(fields(event { $0.timezone = "Mars/Olympus" }) == ["timezone"])
        #expect(fields(event { $0.timezone = "UTC" }) == [])
        #expect(fields(event { $0.reservationMinutes = 0 }) == ["reservation_minutes"])
        #expect(fields(event { $0.redirectOrigins = ["https://shop.example.com", "https://a.example/path"] }) == ["redirect_origins"])
        #expect(fields(event { $0.redirectOrigins = ["ftp://x.example"] }) == ["redirect_origins"])
        #expect(fields(event { $0.redirectOrigins = ["http://localhost:3000"] }) == [])
    }

    @Test func eventStatusTransitions() {
        #expect(EventStatus.draft.canBecome(.live))
        #expect(EventStatus.live.canBecome(.draft))
        #expect(EventStatus.live.canBecome(.cancelled))
        #expect(!EventStatus.cancelled.canBecome(.live))
        #expect(!EventStatus.cancelled.canBecome(.draft))
    }

    @Test func variantAvailabilityAndSaleWindow() {
        let now = Timestamp(milliseconds: 1_700_000_000_000)
        let variant = TicketVariant(id: .generate(at: now), organizerID: .generate(at: now), eventID: .generate(at: now),
                                    name: "GA", price: 2_000, quota: 10, maxPerOrder: nil, salesStart: now.adding(minutes: 10),
                                    salesEnd: now.adding(minutes: 20), status: .live, sold: 3, reserved: 2, createdAt: now, updatedAt: now)
        #expect(variant.available == 5)
        #expect(!variant.isOnSale(at: now))
        #expect(variant.isOnSale(at: now.adding(minutes: 10)))
        #expect(!variant.isOnSale(at: now.adding(minutes: 20)))
    }

    @Test func organizerRules() {
        func fields(_ name: String, _ slug: String, _ email: String, _ fee: Int?) -> [String] {
            do { try Organizer.validate(name: name, slug: slug, email: email, feeBasisPoints: fee); return [] } catch { return error.errors.map(\.field) }
        }
        #expect(fields("Acme", "acme", "a@acme.example", nil) == [])
        #expect(fields("", "Acme!", "nope", 10_001) == ["name", "slug", "email", "fee_bps"])
        #expect(fields("Acme", "-acme", "a@b", 500) == ["slug", "email"])
    }
}
