import Foundation
import Platform
import PlatformTesting
import Testing

@Suite struct PayoutNoticeTests {
    /// One notice per payout, to the organizer, with the amount in its currency's own minor units.
    @Test(arguments: TestEngines.all)
    func aPayoutBatchQueuesOneNotice(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let me = try #require((try await h.client.get("/api/v1/events/\(h.eventID)", key: h.organizerKey)).json["organizer_id"] as? String)
            let organizer = try #require(OrganizerID(me))
            let until = try #require(Timestamp(rfc3339: "2026-06-01T00:00:00Z"))
            let yen = PayoutNotice(payoutID: "po_1", organizerID: organizer, amount: Money(minorUnits: 95_000, currency: .jpy),
                                   provider: "PayPal", coversUntil: until)
            let euro = PayoutNotice(payoutID: "po_2", organizerID: organizer, amount: Money(minorUnits: 95_050, currency: .eur),
                                    provider: "Stripe", coversUntil: until)
            let now = h.clock.now()
            let queued = try await h.database.transaction { sql in
                [try await yen.enqueue(from: "t@platform.example", at: now, on: sql),
                 try await yen.enqueue(from: "t@platform.example", at: now, on: sql),
                 try await euro.enqueue(from: "t@platform.example", at: now, on: sql)]
            }
            #expect(queued == [true, false, true])
            let engine = h.database.engine
            let notices = try await h.database.read { sql in
                try await OutboxRepository(sql, engine: engine).list(statuses: [.queued], after: nil, limit: 10).filter { $0.kind == .payoutNotice }
            }
            #expect(notices.map(\.idempotencyKey) == ["payout-notice-po_1", "payout-notice-po_2"])
            #expect(notices.allSatisfy { $0.recipient == "h@harness.example" && $0.organizerID == organizer })

            let composer = try await MailComposer.load(directory: MailComposer.defaultDirectory())
            let first = try composer.compose(notices[0])
            #expect(first.subject == "Payout of 95000 JPY sent")
            #expect(first.text.contains("(po_1) through PayPal") && first.text.contains("up to 1 June 2026 (UTC)"))
            #expect(try composer.compose(notices[1]).subject == "Payout of 950.50 EUR sent")
        }
    }
}
