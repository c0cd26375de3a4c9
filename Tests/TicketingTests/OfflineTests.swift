import Foundation
import Platform
import PlatformTesting
import Testing
@testable import Ticketing

@Suite struct OfflineTests {
    static func bundle(_ h: TicketingHarness, key: String) async throws -> Data {
        let reply = try await h.client.get("/api/v1/events/\(h.base.eventID)/checkin/bundle", key: key)
        #expect(reply.status == .ok, "\(reply.text)")
        return reply.body
    }

    @Test(arguments: TestEngines.all) func aBundleAloneDecidesAtTheDoorAndRejectsTampering(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let order = try await h.paidOrder(quantity: 4)
            _ = try await h.scan(order.tokens[0])
            _ = try await h.client.post("/api/v1/checkin/block", key: h.organizerKey,
                                        json: #"{"ticket_id":"\#(order.ticketIDs[1])","reason":"chargeback"}"#)
            _ = try await h.client.post("/api/v1/orders/\(order.id)/refunds", key: h.organizerKey, json: #"{"tickets":["\#(order.ticketIDs[2])"]}"#)
            let other = try await h.paidOrder(for: try await h.otherEvent(sameOrganizer: true))
            let door = try await h.device("Offline door")
            let data = try await Self.bundle(h, key: door.key)

            let trusted = h.module.keys.publicKeys
            var verifier = try await OfflineVerifier(bundleJSON: data, trusting: trusted)
            #expect(verifier.contents.tickets.count == 4)
            #expect(verifier.contents.blocklist == [.init(ticketId: order.ticketIDs[1], reason: "chargeback")])
            let now = h.clock.now()
            #expect(await verifier.scan(order.tokens[0], now: now).result == .alreadyAdmitted)
            #expect(await verifier.scan(order.tokens[1], now: now).result == .blocked)
            #expect(await verifier.scan(order.tokens[2], now: now).result == .refunded)
            #expect(await verifier.scan(order.tokens[3], now: now).result == .admitted)
            #expect(await verifier.scan(order.tokens[3], now: now).result == .alreadyAdmitted, "the device remembers what it admitted")
            #expect(await verifier.scan(other.tokens[0], now: now).result == .wrongEvent)
            #expect(await verifier.scan("garbage", now: now).result == .invalid)
            #expect(await verifier.scan(order.tokens[3], now: now.adding(minutes: 60 * 24 * 40)).result == .expired)

            // Any change to the signed contents, or a key the device does not trust, is refused.
            var envelope = try JSONDecoder().decode(OfflineBundle.self, from: data)
            let original = envelope.payload
            envelope.payload = original.replacingOccurrences(of: #""status":"refunded""#, with: #""status":"valid""#)
            #expect(envelope.payload != original)
            #expect(throws: OfflineBundle.Failure.badSignature) { _ = try envelope.verified(trusting: trusted) }
            envelope.payload = original.replacingOccurrences(of: "chargeback", with: "chargebacc")
            #expect(throws: OfflineBundle.Failure.badSignature) { _ = try envelope.verified() }
            envelope.payload = original
            envelope.kid = "kforged00"
            #expect(throws: OfflineBundle.Failure.untrustedKey("kforged00")) { _ = try envelope.verified(trusting: trusted) }
            await #expect(throws: OfflineBundle.Failure.self) { _ = try await OfflineVerifier(bundleJSON: Data("{}".utf8)) }
        }
    }

    @Test(arguments: TestEngines.all) func uploadsReconcileFirstScanWinsAndReplaysChangeNothing(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let order = try await h.paidOrder(quantity: 3)
            let online = try await h.device("Online door")
            let offline = try await h.device("Offline door")
            let start = h.clock.now()
            // Online admits ticket 0 at start + 10 min; the offline door had admitted it at start + 5 min.
            h.clock.advance(minutes: 10)
            #expect(try await h.scan(order.tokens[0], key: online.key).string("result") == "admitted")
            h.clock.advance(minutes: 10)
            #expect(try await h.scan(order.tokens[1], key: online.key).string("result") == "admitted")

            let upload = """
                {"scans":[
                  {"nonce":"o-1","token":"\(order.tokens[0])","scanned_at":"\(start.adding(minutes: 5).rfc3339)"},
                  {"nonce":"o-2","ticket_id":"\(order.ticketIDs[1])","scanned_at":"\(start.adding(minutes: 25).rfc3339)"},
                  {"nonce":"o-3","token":"\(order.tokens[2])","scanned_at":"\(start.adding(minutes: 26).rfc3339)"},
                  {"nonce":"o-4","token":"forged.token.here","scanned_at":"\(start.adding(minutes: 27).rfc3339)"}
                ]}
                """
            let path = "/api/v1/events/\(h.base.eventID)/checkin/sync"
            let first = try await h.client.post(path, key: offline.key, json: upload)
            #expect(first.status == .ok, "\(first.text)")
            #expect(first.json["received"] as? Int == 4 && first.json["recorded"] as? Int == 4 && first.json["replayed"] as? Int == 0)
            let results = (first.json["results"] as? [[String: Any]])?.map { $0["result"] as? String }
            #expect(results == ["admitted", "already_admitted", "admitted", "invalid"])
            let conflicts = try #require(first.json["conflicts"] as? [[String: Any]])
            #expect(conflicts.count == 2)
            // Ticket 0: the offline scan was earlier, so it is now the first admission.
            #expect(conflicts[0]["ticket_id"] as? String == order.ticketIDs[0])
            #expect(conflicts[0]["first_device"] as? String == offline.id && conflicts[0]["later_device"] as? String == online.id)
            // Ticket 1: the online scan was earlier and stays first.
            #expect(conflicts[1]["first_device"] as? String == online.id && conflicts[1]["later_device"] as? String == offline.id)
            let tickets = try await h.client.get("/api/v1/orders/\(order.id)/tickets", key: h.organizerKey)
            let admitted = (tickets.json["data"] as? [[String: Any]])?.map { $0["admitted_at"] as? String }
            #expect(admitted == [start.adding(minutes: 5).rfc3339, start.adding(minutes: 20).rfc3339, start.adding(minutes: 26).rfc3339])

            let scansBefore = try await h.count("checkin_scans")
            let again = try await h.client.post(path, key: offline.key, json: upload)
            #expect(again.json["recorded"] as? Int == 0 && again.json["replayed"] as? Int == 4)
            #expect((again.json["conflicts"] as? [[String: Any]])?.count == 2, "a replay reports the same conflicts")
            #expect(try await h.count("checkin_scans") == scansBefore)

            // Only the envelope fails whole; bad scans are answered one by one (see below).
            let bad = try await h.client.post(path, key: offline.key, json: #"{"scans":{"nonce":"x"}}"#)
            #expect(bad.status == .unprocessableContent)
            #expect(bad.errorFields == ["scans"])
            #expect(try await h.count("checkin_scans") == scansBefore)
        }
    }

    /// The instance from the field: one scan with a ticket id that is not ours (an uppercase ULID,
    /// or no ULID at all) in an upload used to refuse the whole upload, and a device holding it in
    /// its queue could never upload again.
    @Test(arguments: TestEngines.all) func aBadScanIsAnsweredOnItsOwnAndTheOthersAreRecorded(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let order = try await h.paidOrder(quantity: 2)
            let door = try await h.device("Offline door")
            let at = h.clock.now().rfc3339
            let path = "/api/v1/events/\(h.base.eventID)/checkin/sync"
            let upload = """
                {"scans":[
                  {"nonce":"a","token":"\(order.tokens[0])","scanned_at":"\(at)"},
                  {"nonce":"b","ticket_id":"tkt_01HZZZZZZZZZZZZZZZZZZZZZZZ","scanned_at":"\(at)"},
                  {"nonce":"c","ticket_id":"\(order.ticketIDs[1])","scanned_at":"\(at)"},
                  {"nonce":"d","ticket_id":"tkt_abc","scanned_at":"\(at)"},
                  {"scanned_at":"yesterday"},
                  {"nonce":"e","token":"t","scanned_at":"\(at)","direction":"sideways"},
                  "not a scan",
                  {"nonce":"a","token":"\(order.tokens[1])","scanned_at":"\(at)"}
                ]}
                """
            let reply = try await h.client.post(path, key: door.key, json: upload)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.json["received"] as? Int == 8 && reply.json["recorded"] as? Int == 2)
            let results = try #require(reply.json["results"] as? [[String: Any]])
            #expect(results.map { $0["index"] as? Int } == Array(0...7).map(Optional.some))
            #expect(results.map { $0["result"] as? String } == ["admitted", "invalid", "admitted", "invalid", "invalid", "invalid", "invalid", "invalid"])
            #expect((results[1]["reason"] as? String)?.contains("ticket_id: is not a ticket id") == true)
            #expect(results[1]["nonce"] as? String == "b")
            #expect((results[4]["reason"] as? String)?.contains("nonce: is required") == true && results[4]["nonce"] == nil)
            #expect((results[5]["reason"] as? String)?.contains("direction") == true)
            #expect(results[6]["reason"] as? String == "must be an object")
            #expect((results[7]["reason"] as? String)?.contains("appears twice") == true)
            #expect(try await h.count("checkin_scans") == 2)
            let tickets = try await h.client.get("/api/v1/orders/\(order.id)/tickets", key: h.organizerKey)
            #expect((tickets.json["data"] as? [[String: Any]])?.allSatisfy { $0["admitted_at"] is String } == true)

            // The device sends the same upload again: the two recorded scans are replays, the bad ones answered as before.
            let again = try await h.client.post(path, key: door.key, json: upload)
            #expect(again.json["recorded"] as? Int == 0 && again.json["replayed"] as? Int == 2)
            #expect(try await h.count("checkin_scans") == 2)
        }
    }
}
