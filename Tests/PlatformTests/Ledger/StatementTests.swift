import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing

/// The organizer's statement: one entry per business event, with gross, fee and net, both the
/// booking date and the event date, as JSON or CSV, filtered and paged without cutting an entry.
@Suite struct StatementTests {
    func entries(_ h: CheckoutHarness, _ query: String = "") async throws -> [[String: Any]] {
        let reply = try await h.client.get("/api/v1/ledger/entries\(query)", key: h.organizerKey)
        #expect(reply.status == .ok, "\(reply.text)")
        return try #require(reply.json["data"] as? [[String: Any]])
    }

    @Test(arguments: TestEngines.all)
    func salesRefundsReleasesAndPayoutsAddUpToWhatTheOrganizerIsOwed(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let order = try #require(try await h.placeOrder(body: h.cart(quantity: 2)).orderID)
            _ = try await h.deliver(id: "paid", type: "paid", order: order, amount: 5_000)
            await h.drain()
            h.clock.advance(minutes: 1)
            _ = try await h.deliver(id: "refund", type: "refunded", order: order, amount: 1_001)
            await h.drain()
            h.clock.advance(minutes: 60 * 24 * 60)
            try await h.platform.holdRelease.run()
            h.clock.advance(minutes: 1)
            let organizer = try await h.organizerID()
            _ = try await h.client.patch("/api/v1/organizers/\(organizer)", key: h.organizerKey,
                                         json: #"{"payout":{"provider":"test","account":"test_acct_1"}}"#)
            _ = try await h.client.post("/api/v1/admin/payouts", key: h.adminKey, json: "{}")

            let all = try await entries(h)
            #expect(all.map { $0["type"] as? String } == ["payment", "refund", "release", "payout"])
            #expect(all[0]["id"] as? String == "payment:\(order)")
            #expect([all[0]["gross"], all[0]["fee"], all[0]["net"]].map { $0 as? Int } == [5_000, 250, 4_750])
            #expect([all[1]["gross"], all[1]["fee"], all[1]["net"]].map { $0 as? Int } == [-1_001, -50, -951])
            #expect(all[2]["moved"] as? Int == 3_799 && all[2]["net"] as? Int == 0)
            #expect(all[3]["moved"] as? Int == 3_799 && all[3]["payout_id"] is String)
            #expect(all.compactMap { $0["net"] as? Int }.reduce(0, +) == 3_799, "the nets add up to what is owed: in transit")
            #expect(all[0]["event_title"] as? String == "Harness Night" && all[0]["event_starts_at"] is String && all[0]["booked_at"] is String)

            #expect(try await entries(h, "?type=refund,payment").count == 2)
            #expect(try await entries(h, "?order_id=\(order)").count == 3, "the payout names no order")
            #expect(try await entries(h, "?event_from=2100-01-01").isEmpty)
            #expect(try await entries(h, "?to=\(h.clock.now().adding(minutes: -60 * 24 * 30).rfc3339)").count == 2, "booked before the hold ended")
            let bad = try await h.client.get("/api/v1/ledger/entries?from=yesterday&type=gift&format=xml", key: h.organizerKey)
            #expect(bad.status == .unprocessableContent)
            for field in ["from", "type", "format"] { #expect(bad.text.contains(field)) }

            // Paged one by one: each page ends with a whole millisecond, and the pages add up to the whole.
            var paged: [String] = []
            var cursor = ""
            for _ in 0..<10 {
                let reply = try await h.client.get("/api/v1/ledger/entries?limit=1\(cursor)", key: h.organizerKey)
                paged += (reply.json["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                guard let next = reply.json["next_cursor"] as? String else { break }
                cursor = "&after=\(next)"
            }
            #expect(paged == all.compactMap { $0["id"] as? String })

            let csv = try await h.client.send(.get, "/api/v1/ledger/entries", key: h.organizerKey, headers: [.accept: "text/csv"])
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            let lines = csv.text.components(separatedBy: "\r\n")
            #expect(lines.first == "entry_id,type,booked_at,currency,gross,fee,net,moved,order_id,event_id,event_title,event_starts_at,payout_id")
            #expect(lines.count == 6 && lines.last == "", "a header, four entries, each line ended by CRLF")
            #expect(lines[1].hasPrefix("payment:\(order),payment,") && lines[1].contains(",EUR,5000,250,4750,0,\(order),"))
            // The event's start as people there read it: local time with its offset (Europe/Berlin).
            let startsText = try #require(all[0]["event_starts_at"] as? String)
            let starts = try #require(Timestamp(rfc3339: startsText))
            #expect(lines[1].contains(",Harness Night,\(LocalTime.rfc3339(starts, timezone: "Europe/Berlin")),"))
            #expect(lines[1].contains("+02:00,") || lines[1].contains("+01:00,"))
            #expect(all[0]["event_timezone"] as? String == "Europe/Berlin")
            #expect(try await h.client.get("/api/v1/ledger/entries?format=csv", key: h.organizerKey).text == csv.text)

            let other = try await h.client.createOrganizer(admin: h.adminKey, slug: "other")
            #expect((try await h.client.get("/api/v1/ledger/entries", key: other.key).json["data"] as? [Any])?.isEmpty == true)
            let admin = try await h.client.get("/api/v1/admin/organizers/\(organizer)/balances", key: h.adminKey)
            #expect((admin.json["data"] as? [[String: Any]])?.first?["in_transit"] as? Int == 3_799)
        }
    }

    @Test func csvFieldsAreQuotedAndFormulasDefused() {
        #expect(CSV.field("Rock, Paper \"Live\"") == "\"Rock, Paper \"\"Live\"\"\"")
        #expect(CSV.field("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(CSV.field("-951") == "-951", "a negative amount stays a number")
        #expect(CSV.document(header: ["a", "b"], rows: [["1", "two\nlines"]]) == "a,b\r\n1,\"two\nlines\"\r\n")
    }
}
