import Foundation
import Platform
import PlatformTesting
import Testing
@testable import Ticketing

@Suite struct TicketLifecycleTests {
    /// Issue -> render -> decode -> scan -> second scan -> refund -> scan again.
    @Test(arguments: TestEngines.all) func ticketsFollowTheOrderFromPaymentToRefund(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let order = try await h.paidOrder(quantity: 3)
            #expect(order.tickets.count == 3)
            #expect(order.tickets.allSatisfy { $0["status"] as? String == "valid" })
            #expect(try await h.count("tickets") == 3)

            // The buyer's QR decodes to the exact token.
            let ticketID = order.ticketIDs[0]
            let qr = try await h.client.get("/api/v1/public/tickets/\(ticketID)/qr.png?token=\(order.accessToken)")
            #expect(qr.status == .ok)
            #expect(qr.headers[.contentType] == "image/png")
            #expect(qr.headers[.cacheControl] == "private, max-age=86400")
            let organizerQR = try await h.client.get("/api/v1/tickets/\(order.ticketIDs[1])/qr.png?scale=4", key: h.organizerKey)
            #expect(organizerQR.status == .ok)
            if let decoded = try await QRDecoder.decode([Array(qr.body), Array(organizerQR.body)]) {
                #expect(decoded == [[order.tokens[0]], [order.tokens[1]]])
            }
            let etag = try #require(qr.headers[.eTag])
            let again = try await h.client.client.execute(
                uri: "/api/v1/public/tickets/\(ticketID)/qr.png?token=\(order.accessToken)", method: .get, headers: [.ifNoneMatch: etag]
            ) { $0.status }
            #expect(again == .notModified)

            let door = try await h.device("Door 1")
            let first = try await h.scan(order.tokens[0], key: door.key)
            #expect(first.string("result") == "admitted", "\(first.text)")
            h.clock.advance(minutes: 1)
            let second = try await h.scan(order.tokens[0], key: door.key)
            #expect(second.string("result") == "already_admitted")
            #expect(second.string("first_admitted_at") == first.string("scanned_at"))
            #expect(second.string("first_admitted_by") == door.id)

            // A partial refund names one ticket: that one stops admitting at once, the others do not.
            let refund = try await h.client.post("/api/v1/orders/\(order.id)/refunds", key: h.organizerKey,
                                                 json: #"{"tickets":["\#(order.ticketIDs[1])"],"reason":"cannot come"}"#)
            #expect(refund.status == .accepted, "\(refund.text)")
            #expect(refund.json["amount"] as? Int == 2_500, "the named ticket is what is refunded")
            let refunded = try await h.scan(order.tokens[1], key: door.key)
            #expect(refunded.string("result") == "refunded")
            let third = try await h.scan(order.tokens[2], key: door.key)
            #expect(third.string("result") == "admitted")

            // The rest of the money goes back: every ticket is refunded.
            _ = try await h.base.deliver(id: "refund-all", type: "refunded", order: order.id, amount: 7_500)
            await h.base.drain()
            let afterFull = try await h.scan(order.tokens[0], key: door.key)
            #expect(afterFull.string("result") == "refunded")
            let statuses = try await h.client.get("/api/v1/orders/\(order.id)/tickets", key: h.organizerKey)
            #expect((statuses.json["data"] as? [[String: Any]])?.map { $0["status"] as? String } == ["refunded", "refunded", "refunded"])
            let gone = try await h.client.get("/api/v1/public/tickets/\(ticketID)/qr.png?token=\(order.accessToken)")
            #expect(gone.status == .conflict)

            // Every scan is recorded, failed ones too.
            #expect(try await h.count("checkin_scans") == 5)
            #expect(try await h.count("checkin_scans", where: "result = 'refunded'") == 2)
        }
    }

    @Test(arguments: TestEngines.all) func aNamedRefundOfForeignOrUsedTicketsIsRefusedAndWritesNothing(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let order = try await h.paidOrder(quantity: 2)
            let other = try await h.paidOrder(quantity: 1)
            let foreign = try await h.client.post("/api/v1/orders/\(order.id)/refunds", key: h.organizerKey,
                                                  json: #"{"tickets":["\#(other.ticketIDs[0])"]}"#)
            #expect(foreign.status == .unprocessableContent)
            #expect(foreign.errorFields == ["tickets"])
            let malformed = try await h.client.post("/api/v1/orders/\(order.id)/refunds", key: h.organizerKey, json: #"{"tickets":"all"}"#)
            #expect(malformed.status == .unprocessableContent)
            #expect(try await h.count("refunds") == 0)
            #expect(try await h.count("tickets", where: "status = 'valid'") == 3)
        }
    }

    @Test(arguments: TestEngines.all) func nonceRetriesExitAndReentry(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let order = try await h.paidOrder()
            let token = order.tokens[0]
            let first = try await h.scan(token, nonce: "n-1")
            #expect(first.string("result") == "admitted")
            let retry = try await h.scan(token, nonce: "n-1")
            #expect(retry.string("result") == "admitted", "the same nonce returns the same answer")
            #expect(retry.string("scan_id") == first.string("scan_id"))
            #expect(try await h.count("checkin_scans") == 1)

            #expect(try await h.scan(token, direction: "exit").string("result") == "exited")
            #expect(try await h.scan(token, direction: "exit").string("result") == "not_inside")
            let back = try await h.scan(token)
            #expect(back.string("result") == "admitted")
            #expect(back.string("first_admitted_at") == first.string("scanned_at"), "re-entry keeps the first admission")
        }
    }

    @Test(arguments: TestEngines.all) func blockedTicketsAreRefusedUntilUnblocked(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let order = try await h.paidOrder()
            let block = try await h.client.post("/api/v1/checkin/block", key: h.organizerKey,
                                                json: #"{"ticket_id":"\#(order.ticketIDs[0])","reason":"reported stolen"}"#)
            #expect(block.status == .ok, "\(block.text)")
            let refused = try await h.scan(order.tokens[0])
            #expect(refused.string("result") == "blocked")
            #expect(refused.string("reason") == "reported stolen")
            let missingReason = try await h.client.post("/api/v1/checkin/unblock", key: h.organizerKey,
                                                        json: #"{"ticket_id":"\#(order.ticketIDs[0])"}"#)
            #expect(missingReason.status == .unprocessableContent)
            let unblock = try await h.client.post("/api/v1/checkin/unblock", key: h.organizerKey,
                                                  json: #"{"ticket_id":"\#(order.ticketIDs[0])","reason":"found again"}"#)
            #expect(unblock.status == .ok)
            #expect(try await h.scan(order.tokens[0]).string("result") == "admitted")
            #expect(try await h.count("ticket_blocks") == 2)
        }
    }

    @Test(arguments: TestEngines.all) func statsShowSoldAndAdmittedPerVariant(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let order = try await h.paidOrder(quantity: 4)
            for token in order.tokens.prefix(3) { _ = try await h.scan(token) }
            _ = try await h.scan(order.tokens[0], direction: "exit")
            let door = try await h.device("Door")
            let stats = try await h.client.get("/api/v1/events/\(h.base.eventID)/stats", key: door.key)
            #expect(stats.status == .ok, "\(stats.text)")
            #expect(stats.json["sold"] as? Int == 4)
            #expect(stats.json["admitted"] as? Int == 3)
            #expect(stats.json["inside"] as? Int == 2)
            let variant = try #require((stats.json["variants"] as? [[String: Any]])?.first)
            #expect(variant["variant_id"] as? String == h.base.variantID)
            #expect(variant["sold"] as? Int == 4 && variant["admitted"] as? Int == 3 && variant["quota"] as? Int == 100)
        }
    }
}

@Suite struct TicketEndingTests {
    @Test(arguments: TestEngines.all) func aRefusedRefundGivesTheNamedTicketsBack(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let order = try await h.paidOrder(quantity: 2)
            h.base.provider.fail(with: .declined("the card was closed"))
            let refund = try await h.client.post("/api/v1/orders/\(order.id)/refunds", key: h.organizerKey,
                                                 json: #"{"tickets":["\#(order.ticketIDs[0])"]}"#)
            #expect(refund.status.code == 402)
            h.base.provider.fail(with: nil)
            #expect(try await h.count("refunds", where: "status = 'failed'") == 1)
            #expect(try await h.count("tickets", where: "status = 'valid'") == 2)
            #expect(try await h.scan(order.tokens[0]).string("result") == "admitted")
        }
    }

    /// No kernel path cancels a paid order's tickets yet (paid orders end by refund); a ticket that
    /// is cancelled in the database is refused at the door all the same.
    @Test(arguments: TestEngines.all) func cancelledTicketsAreRefusedAtTheDoor(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let order = try await h.paidOrder(quantity: 2)
            let now = h.clock.now()
            let id = try #require(OrderID(order.id))
            try await h.database.transaction { sql in
                _ = try await TicketRepository(sql).setStatus(order: id, from: .valid, to: .cancelled, at: now)
            }
            #expect(try await h.count("tickets", where: "status = 'cancelled'") == 2)
            #expect(try await h.scan(order.tokens[1]).string("result") == "cancelled")
        }
    }

    /// Issuance signs inside the payment's transaction; a key rotated elsewhere is picked up there.
    @Test(arguments: TestEngines.all) func ticketsIssuedAfterARotationUseTheNewKey(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let before = try await h.paidOrder()
            let operatorRing = try await TicketKeyRing.open(database: h.database, clock: h.clock, config: TicketingHarness.testConfig())
            let newKid = try await operatorRing.rotate()
            h.clock.advance(minutes: 2)
            let after = try await h.paidOrder()
            func kid(_ token: String) throws -> String? {
                let header = try #require(Data(base64URL: String(token.split(separator: ".")[0])))
                return (try JSONSerialization.jsonObject(with: header) as? [String: String])?["kid"]
            }
            #expect(try kid(after.tokens[0]) == newKid)
            #expect(try kid(before.tokens[0]) != newKid)
            #expect(try await h.scan(before.tokens[0]).string("result") == "admitted")
            #expect(try await h.scan(after.tokens[0]).string("result") == "admitted")
        }
    }
}
