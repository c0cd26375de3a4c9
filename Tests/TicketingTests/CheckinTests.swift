import Foundation
import Platform
import PlatformTesting
import Testing
@testable import Ticketing

@Suite struct CheckinTests {
    @Test(arguments: TestEngines.all) func concurrentScansOfOneTicketAdmitExactlyOnce(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let order = try await h.paidOrder()
            var devices: [String] = []
            for index in 0..<10 { devices.append(try await h.device("Door \(index)").key) }
            let keys = devices
            let token = order.tokens[0]
            let results = try await withThrowingTaskGroup(of: String?.self) { group in
                for index in 0..<100 {
                    group.addTask { try await h.scan(token, key: keys[index % 10]).string("result") }
                }
                var all: [String?] = []
                for try await result in group { all.append(result) }
                return all
            }
            #expect(results.filter { $0 == "admitted" }.count == 1)
            #expect(results.filter { $0 == "already_admitted" }.count == 99)
            #expect(try await h.count("checkin_scans") == 100)
        }
    }

    /// A re-scan of a ticket inside is answered from the one read of an entry: the same answer the
    /// full check gives (here by ticket id), recorded once per nonce, a retry given the same bytes.
    @Test(arguments: TestEngines.all) func aReScanIsAnsweredAsTheFullCheckAnswersIt(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let order = try await h.paidOrder()
            let gateA = try await h.device("Gate A"), gateB = try await h.device("Gate B")
            #expect(try await h.scan(order.tokens[0], key: gateA.key).string("result") == "admitted")
            h.clock.advance(minutes: 1)
            let again = try await h.scan(order.tokens[0], key: gateB.key, nonce: "n1")
            #expect(again.string("result") == "already_admitted", "\(again.text)")
            #expect(again.string("first_admitted_by") == gateA.id && again.string("first_admitted_by_name") == "Gate A")
            let retry = try await h.scan(order.tokens[0], key: gateB.key, nonce: "n1")
            #expect(retry.text == again.text, "a retry of the nonce gets the first answer's bytes")
            #expect(try await h.count("checkin_scans", where: "result = 'already_admitted' AND device = '\(gateB.id)'") == 1)

            let full = try await h.client.post("/api/v1/checkin/scan", key: gateB.key,
                                               json: #"{"ticket_id":"\#(order.ticketIDs[0])","nonce":"n2"}"#)
            var fast = again.json, checked = full.json
            #expect(fast.removeValue(forKey: "scan_id") != nil && checked.removeValue(forKey: "scan_id") != nil)
            #expect(NSDictionary(dictionary: fast) == NSDictionary(dictionary: checked), "\(again.text) against \(full.text)")
            #expect(try await h.count("checkin_scans", where: "result = 'already_admitted'") == 2)
            #expect(try await h.count("audit_log", where: "action IN ('ticket.admitted', 'ticket.reentered')") == 1, "only the admission changed the ticket")
        }
    }

    /// A re-scan's record is written only while the ticket is inside as it was read: after an exit,
    /// or once the ticket changed, nothing is written and the full check decides.
    @Test(arguments: TestEngines.all) func aReScanIsRecordedOnlyWhileTheTicketIsAsRead(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let order = try await h.paidOrder()
            let door = try await h.device("Gate A")
            #expect(try await h.scan(order.tokens[0], key: door.key).string("result") == "admitted")
            let id = try #require(TicketID(order.ticketIDs[0]))
            let inside = try #require(try await h.database.read { sql in try await TicketRepository(sql).find(id) })
            @Sendable func record(_ nonce: String) throws -> ScanRecord {
                let answer = ScanAnswer(result: .alreadyAdmitted, ticket: inside, scanID: ScanID.generate(at: h.clock.now()), at: h.clock.now())
                return try ScanRecord(id: try #require(ScanID(answer.scanId)), organizer: inside.organizerID, event: inside.eventID,
                                      ticket: inside.id, device: door.id, nonce: nonce, direction: .entry, offline: false, answer: answer,
                                      scannedAt: h.clock.now(), recordedAt: h.clock.now())
            }
            let first = try record("r1")
            #expect(try await h.database.autocommit { sql in try await ScanRepository(sql).insert(first, whileInside: inside) })
            #expect(try await !h.database.autocommit { sql in try await ScanRepository(sql).insert(first, whileInside: inside) },
                    "the nonce is taken")
            #expect(try await h.scan(order.tokens[0], key: door.key, direction: "exit").string("result") == "exited")
            let second = try record("r2")
            #expect(try await !h.database.autocommit { sql in try await ScanRepository(sql).insert(second, whileInside: inside) },
                    "the ticket left after it was read")
            #expect(try await h.count("checkin_scans", where: "nonce IN ('r1', 'r2')") == 1)
            // Scanned again now, it is a re-entry: admitted, not already inside.
            #expect(try await h.scan(order.tokens[0], key: door.key, nonce: "r3").string("result") == "admitted")
        }
    }

    @Test(arguments: TestEngines.all) func otherOrganizersAndOtherEventsCannotUseATicket(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let order = try await h.paidOrder()
            let stranger = try await h.otherEvent()
            let theirOrder = try await h.paidOrder(for: stranger)

            // Another organizer's key, or a device of theirs, learns nothing about this ticket.
            let foreignScan = try await h.scan(order.tokens[0], key: stranger.organizerKey)
            #expect(foreignScan.string("result") == "invalid")
            #expect(foreignScan.json["ticket"] == nil)
            let theirDoor = try await h.device("Their door", event: stranger.eventID, key: stranger.organizerKey)
            #expect(try await h.scan(order.tokens[0], key: theirDoor.key).string("result") == "invalid")
            let block = try await h.client.post("/api/v1/checkin/block", key: stranger.organizerKey,
                                                json: #"{"ticket_id":"\#(order.ticketIDs[0])","reason":"mine now"}"#)
            #expect(block.status == .notFound)
            #expect(try await h.client.get("/api/v1/tickets/\(order.ticketIDs[0])/qr.png", key: stranger.organizerKey).status == .notFound)
            #expect(try await h.client.get("/api/v1/public/tickets/\(order.ticketIDs[0])/qr.png?token=\(theirOrder.accessToken)").status == .notFound)
            #expect(try await h.client.get("/api/v1/public/tickets/\(order.ticketIDs[0])/qr.png").status == .notFound)
            #expect(try await h.client.get("/api/v1/events/\(h.base.eventID)/checkin/bundle", key: theirDoor.key).status == .notFound)
            #expect(try await h.client.get("/api/v1/events/\(h.base.eventID)/stats", key: stranger.organizerKey).status == .notFound)

            // A device of another event of the same organizer: wrong event, and not admitted.
            let sibling = try await h.otherEvent(sameOrganizer: true)
            let siblingDoor = try await h.device("Hall B", event: sibling.eventID)
            let wrong = try await h.scan(order.tokens[0], key: siblingDoor.key)
            #expect(wrong.string("result") == "wrong_event")
            // A device key is not an organizer key.
            #expect(try await h.client.get("/api/v1/orders/\(order.id)/tickets", key: siblingDoor.key).status == .forbidden)
            #expect(try await h.scan(order.tokens[0]).string("result") == "admitted")
            #expect(theirOrder.tickets.count == 1)
        }
    }

    @Test(arguments: TestEngines.all) func revokedDevicesAndBadInputAreRefused(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let order = try await h.paidOrder(quantity: 2)
            let door = try await h.device("Door")
            let list = try await h.client.get("/api/v1/events/\(h.base.eventID)/checkin-devices", key: h.organizerKey)
            #expect((list.json["data"] as? [[String: Any]])?.map { $0["name"] as? String } == ["Door"])
            #expect((list.json["data"] as? [[String: Any]])?.first?["key"] == nil, "the key is shown once")
            // Used first, so the authenticator has the key cached: revoking it must still end it at once.
            #expect(try await h.scan(order.tokens[1], key: door.key).json["result"] as? String == "admitted")
            let revoke = try await h.client.send(.delete, "/api/v1/events/\(h.base.eventID)/checkin-devices/\(door.id)", key: h.organizerKey)
            #expect(revoke.status == .noContent)
            #expect(try await h.scan(order.tokens[0], key: door.key).status == .unauthorized)

            let before = try await h.count("checkin_scans")
            let missing = try await h.client.post("/api/v1/checkin/scan", key: h.organizerKey, json: #"{"nonce":5,"direction":"sideways"}"#)
            #expect(missing.status == .unprocessableContent)
            #expect(Set(missing.errorFields) == ["token", "nonce", "direction"])
            #expect(missing.headers[.contentType] == "application/problem+json")
            let notJSON = try await h.client.post("/api/v1/checkin/scan", key: h.organizerKey, json: "token=abc")
            #expect(notJSON.status == .badRequest)
            #expect(try await h.count("checkin_scans") == before, "nothing is recorded for a request that is not a scan")
            let admin = try await h.scan(order.tokens[0], key: h.base.adminKey)
            #expect(admin.status == .forbidden)

            // Given but empty is not a name or a reason: one error each, and nothing made.
            let unnamed = try await h.client.post("/api/v1/events/\(h.base.eventID)/checkin-devices", key: h.organizerKey, json: #"{"name":""}"#)
            #expect(unnamed.status == .unprocessableContent && unnamed.errorFields == ["name"])
            let nameless = try await h.client.post("/api/v1/events/\(h.base.eventID)/checkin-devices", key: h.organizerKey, json: "{}")
            #expect(nameless.errorFields == ["name"], "missing: is required, once")
            let unexplained = try await h.client.post("/api/v1/checkin/block", key: h.organizerKey,
                                                      json: #"{"ticket_id":"\#(order.ticketIDs[0])","reason":""}"#)
            #expect(unexplained.status == .unprocessableContent && unexplained.errorFields == ["reason"])
            let devices = try await h.client.get("/api/v1/events/\(h.base.eventID)/checkin-devices", key: h.organizerKey)
            #expect((devices.json["data"] as? [[String: Any]])?.isEmpty == true, "nothing made (Door, the only device, was revoked)")
        }
    }

    @Test(arguments: TestEngines.all) func scansAreRateLimitedPerDevice(engine: DatabaseEngine) async throws {
        var config = TicketingHarness.testConfig()
        config.checkinRateLimit = 3
        try await TicketingHarness.run(engine, config: config) { h in
            let order = try await h.paidOrder()
            let first = try await h.device("A")
            let second = try await h.device("B")
            for _ in 0..<3 { #expect(try await h.scan(order.tokens[0], key: first.key).status == .ok) }
            let limited = try await h.scan(order.tokens[0], key: first.key)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] != nil)
            #expect(try await h.scan(order.tokens[0], key: second.key).status == .ok, "the limit is per device")
        }
    }

    @Test(arguments: TestEngines.all) func everyResultIsAnsweredWithItsOwnName(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let order = try await h.paidOrder()
            #expect(try await h.scan("not-a-token").string("result") == "invalid")
            // Past the token's expiry (event start + 1 day): expired.
            h.clock.advance(minutes: 60 * 24 * 32)
            let late = try await h.scan(order.tokens[0])
            #expect(late.string("result") == "expired")
            h.clock.advance(minutes: -60 * 24 * 33)
            #expect(try await h.scan(order.tokens[0]).string("result") == "not_valid_yet")
            let recorded = try await h.client.get("/api/v1/events/\(h.base.eventID)/checkin/scans", key: h.organizerKey)
            #expect((recorded.json["data"] as? [[String: Any]])?.compactMap { $0["result"] as? String } == ["expired", "not_valid_yet"],
                    "scans with a ticket are listed under its event")
            #expect(try await h.count("checkin_scans") == 3)
        }
    }

    @Test(arguments: TestEngines.all) func theIssuedTokenAdmitsAndAnyOtherTokenIsCheckedBySignature(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let order = try await h.paidOrder(quantity: 3)
            let first = try await h.scan(order.tokens[0], nonce: "door-1")
            #expect(first.string("result") == "admitted")
            struct Stored: Decodable { let answer: String }
            let stored = try await h.database.read { sql in
                try await sql.raw("SELECT answer FROM checkin_scans WHERE nonce = 'door-1'").first(decoding: Stored.self)?.answer
            }
            #expect(stored == first.text, "the answer is stored as it was sent")
            #expect(try await h.scan(order.tokens[0], nonce: "door-1").body == first.body, "a retry gets the same bytes")

            // The same nonce for another ticket: the first answer, and nothing of the other ticket is written.
            #expect(try await h.scan(order.tokens[1], nonce: "door-1").body == first.body)
            #expect(try await h.count("tickets", where: "admitted_at IS NOT NULL") == 1)
            #expect(try await h.count("checkin_scans") == 1)

            // The stored token's header and claims under a forged signature: refused after the signature check.
            let parts = order.tokens[2].split(separator: ".")
            let forged = "\(parts[0]).\(parts[1]).\(String(parts[2].reversed()))"
            #expect(try await h.scan(forged).string("result") == "invalid")
            // The same claims signed under a rotated key are not the stored token, but they verify.
            let claims = try #require(TokenVerifier.unverifiedClaims(order.tokens[2]))
            _ = try await h.module.keys.rotate()
            let resigned = try await h.module.keys.sign(claims)
            #expect(resigned != order.tokens[2])
            #expect(try await h.scan(resigned).string("result") == "admitted")
            #expect(try await h.count("tickets", where: "admitted_at IS NOT NULL") == 2)
        }
    }
}
