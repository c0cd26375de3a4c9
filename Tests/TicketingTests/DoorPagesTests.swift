import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing
@testable import Ticketing

/// The door page's pairing and the back office's device pages; the scanning itself is the
/// check-in API's, and the page's script is tried in a browser (PlatformServerTests).
@Suite struct DoorPagesTests {
    /// A browser with a member's session cookie.
    static func member(_ h: TicketingHarness, role: MemberRole, email: String) async throws -> PageBrowser {
        let organizer = try await h.base.platform.catalog.shopEvent(try #require(EventID(h.base.eventID))).0.id
        _ = try await h.base.platform.members.create(email: email, password: "member password 1", role: role, organizer: organizer)
        let session = try #require(try await h.base.platform.members.signIn(email: email, password: "member password 1"))
        var browser = PageBrowser(client: h.client)
        let token = try #require(session.token)
        browser.cookies[MemberSite.cookie] = token
        return browser
    }

    @Test(arguments: TestEngines.all)
    func aDoorMemberPairsTheBrowserAndTheDoorSaysWhichDeviceAdmittedFirst(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            var stranger = PageBrowser(client: h.client)
            let anonymous = try await stranger.get("/door")
            #expect(anonymous.status == .ok && anonymous.text.contains("not a check-in device yet") && !anonymous.text.contains("form class=\"pair\""))

            var door = try await Self.member(h, role: .door, email: "door@harness.example")
            let page = try await door.get("/door")
            #expect(page.text.contains("Scan for Harness Night"))
            let paired = try await door.post("/door/pair", form: ["csrf": try #require(page.formValue("csrf")), "event": h.base.eventID])
            let key = try #require(paired.text.range(of: #"data-pair-key=""#).map { String(paired.text[$0.upperBound...].prefix(44)) })
            #expect(key.hasPrefix("plk_") && paired.text.contains(#"data-pair-event="\#(h.base.eventID)""#))
            #expect(try await stranger.post("/door/pair", form: ["csrf": "x", "event": h.base.eventID]).status != .ok, "no pairing without a member")

            let order = try await h.paidOrder(quantity: 1)
            let gate = try await h.device("Gate A")
            #expect(try await h.scan(order.tokens[0], key: gate.key).string("result") == "admitted")
            let again = try await h.scan(order.tokens[0], key: key)
            #expect(again.string("result") == "already_admitted" && again.string("first_admitted_by_name") == "Gate A")
            #expect(try await door.get("/backoffice/events/\(h.base.eventID)/devices").status == .forbidden, "door staff do not manage devices")
        }
    }

    @Test(arguments: TestEngines.all)
    func aManagerMakesADeviceWithAPairingCodeAndRevokesIt(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            var manager = try await Self.member(h, role: .manager, email: "manager@harness.example")
            let list = try await manager.get("/backoffice/events/\(h.base.eventID)/devices")
            #expect(list.status == .ok && list.text.contains("Harness Night"))
            let csrf = try #require(list.formValue("csrf"))
            let made = try await manager.post("/backoffice/events/\(h.base.eventID)/devices", form: ["csrf": csrf, "name": "Door 2"])
            let key = try #require(made.text.range(of: #"<code id="device-key">"#).map { String(made.text[$0.upperBound...].prefix(44)) })
            #expect(made.text.contains("/door#pair=\(key)&amp;event=\(h.base.eventID)") && made.text.contains("src=\"data:image/png;base64,"))
            let order = try await h.paidOrder(quantity: 1)
            #expect(try await h.scan(order.tokens[0], key: key).string("result") == "admitted")
            let devices = try await h.client.get("/api/v1/events/\(h.base.eventID)/checkin-devices", key: h.organizerKey)
            let deviceID = try #require((devices.json["data"] as? [[String: Any]])?.first { $0["name"] as? String == "Door 2" }?["id"] as? String)
            let revoked = try await manager.post("/backoffice/events/\(h.base.eventID)/devices/\(deviceID)/revoke", form: ["csrf": csrf])
            #expect(revoked.status == .ok && revoked.text.contains("Device revoked"))
            #expect(try await h.scan(order.tokens[0], key: key).status == .unauthorized, "a revoked device scans no more")
            let elsewhere = try await manager.get("/backoffice/events/evt_01nothing0000000000000000/devices")
            #expect(elsewhere.status == .notFound)
        }
    }

    @Test(arguments: TestEngines.all)
    func doorStaffFindATicketByItsBuyerAndAdmitIt(engine: DatabaseEngine) async throws {
        try await TicketingHarness.run(engine) { h in
            let order = try await h.paidOrder(quantity: 2, email: "grace@example.com")
            _ = try await h.paidOrder(quantity: 1, email: "linus@example.com")
            let device = try await h.device("Box 1")
            let found = try await h.client.get("/api/v1/events/\(h.base.eventID)/checkin/search?q=GRACE", key: device.key)
            let tickets = try #require(found.json["data"] as? [[String: Any]])
            #expect(found.status == .ok && tickets.count == 2 && tickets.allSatisfy { $0["email"] as? String == "grace@example.com" })
            #expect(try await h.client.get("/api/v1/events/\(h.base.eventID)/checkin/search?q=\(order.id)", key: device.key).json["data"]
                .map { ($0 as? [Any])?.count } == 2, "by order id")
            #expect(try await h.client.get("/api/v1/events/\(h.base.eventID)/checkin/search?q=", key: device.key).status == .unprocessableContent)
            // All spaces, a control character, or over 200 code points (a combining mark is a code point of its own): 422.
            for bad in ["%20%0A%C2%85", "GRA%07CE", String(repeating: "a%CC%81", count: 101)] {
                let reply = try await h.client.get("/api/v1/events/\(h.base.eventID)/checkin/search?q=\(bad)", key: device.key)
                #expect(reply.status == .unprocessableContent, "\(bad)")
            }
            let ticket = try #require(tickets.first?["ticket_id"] as? String)
            func admit(_ body: String) async throws -> APITestClient.Reply {
                try await h.client.post("/api/v1/checkin/scan", key: device.key, json: body)
            }
            #expect(try await admit(#"{"ticket_id":"\#(ticket)"}"#).string("result") == "admitted")
            let again = try await admit(#"{"ticket_id":"\#(ticket)"}"#)
            #expect(again.string("result") == "already_admitted" && again.string("first_admitted_by_name") == "Box 1")
            #expect(try await admit(#"{"ticket_id":"\#(ticket)","token":"x"}"#).status == .unprocessableContent, "one or the other")
            #expect(try await admit(#"{"ticket_id":"tkt_nope"}"#).status == .unprocessableContent)
            #expect(try await admit(#"{"ticket_id":"tkt_01m8zzzzzzzzzzzzzzzzzzzzzz"}"#).string("result") == "invalid")
            let stats = try await h.client.get("/api/v1/events/\(h.base.eventID)/stats", key: device.key)
            #expect(stats.json["admitted"] as? Int == 1)
        }
    }
}
