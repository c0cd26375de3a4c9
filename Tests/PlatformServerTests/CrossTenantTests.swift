import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Platform
@testable import PlatformServer
import PlatformTesting
import Testing

/// Every organizer, door and admin operation of the served API document, generated from the
/// document itself (a new route is covered, or fails here until its path is mapped): called on
/// organizer A's resources with organizer B's key, with a door key, and (admin routes) with an
/// organizer's key. Each answers 403 or 404, lists show none of A's ids, and the database is
/// the same, row for row, afterwards.
@Suite struct CrossTenantTests {
    struct Operation {
        let method: HTTPRequest.Method
        let template: String
        let tag: String
    }

    /// A's resource for each path parameter, by the segment before it.
    struct Resources {
        let event, variant, order, ticket, ticketToken, device, payout, endpoint, delivery, organizer: String

        func path(_ template: String) throws -> String {
            let byName = ["events": event, "variants": variant, "orders": order, "tickets": ticket, "checkin-devices": device,
                          "payouts": payout, "webhook-endpoints": endpoint, "webhook-deliveries": delivery, "organizers": organizer,
                          "webhooks": "whk_00000000000000000000000000", "outbox": "msg_00000000000000000000000000",
                          "credit-packs": "cpk_00000000000000000000000000"]
            let segments = template.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            return try segments.enumerated().map { index, segment in
                guard segment.hasPrefix("{") else { return segment }
                let owner = segments[index - 1]
                return try #require(byName[owner], "map the parameter of \(template) to one of A's resources")
            }.joined(separator: "/")
        }

        var ids: [String] { [event, variant, order, ticket, device, payout, endpoint, delivery] }

        func body(for template: String) -> String {
            switch template {
            case "/api/v1/events/{id}/variants": #"{"name":"Taken","price":100,"quota":1}"#
            case "/api/v1/events/{id}/checkin-devices": #"{"name":"Taken"}"#
            case "/api/v1/events/{id}/checkin/sync": #"{"scans":[]}"#
            case "/api/v1/checkin/block", "/api/v1/checkin/unblock": #"{"ticket_id":"\#(ticket)","reason":"taken"}"#
            default: #"{"token":"\#(ticketToken)"}"#
            }
        }
    }

    @Test(arguments: TestEngines.all)
    func noKeyReachesAnotherOrganizersResources(engine: DatabaseEngine) async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tenants-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let environment = AssemblyTests.base.merging(["MAIL_OUTBOX_DIR": scratch.path]) { $1 }
        let assembly = try Assembly(environment: environment, logger: quietLogger)
        try await withTestDatabase(engine) { database in
            let platform = try await assembly.platform(database: database, hosts: EveryNamePublic())
            let seed = try await DemoSeed(catalog: platform.catalog).run()
            let app = Application(router: buildRouter(platform), logger: quietLogger)
            try await app.test(.router) { raw async throws in
                let client = APITestClient(raw)
                let (a, admin) = (seed.organizerKey.secret, seed.adminKey.secret)
                // A: a webhook endpoint (so the sale queues a delivery), a paid order with tickets, a payout, a door device.
                let endpoint = try await client.post("/api/v1/webhook-endpoints", key: a,
                                                     json: #"{"url":"https://crm.example.com/hooks","events":["order.paid"]}"#)
                #expect(endpoint.status == .created)
                _ = try await DemoPayout(platform: platform, seed: seed).run()
                let orders = try await client.get("/api/v1/events/\(seed.event.id)/orders", key: a)
                let order = try #require((orders.json["data"] as? [[String: Any]])?.first?["id"] as? String)
                let tickets = try await client.get("/api/v1/orders/\(order)/tickets", key: a)
                let ticket = try #require((tickets.json["data"] as? [[String: Any]])?.first)
                let payouts = try await client.get("/api/v1/payouts", key: a)
                let deliveries = try await client.get("/api/v1/webhook-deliveries", key: a)
                let device = try await client.post("/api/v1/events/\(seed.event.id)/checkin-devices", key: a, json: #"{"name":"A door"}"#)
                let resources = Resources(
                    event: seed.event.id.rawValue, variant: try #require(seed.variants.first).id.rawValue, order: order,
                    ticket: try #require(ticket["id"] as? String), ticketToken: try #require(ticket["token"] as? String),
                    device: try #require(device.string("id")),
                    payout: try #require((payouts.json["data"] as? [[String: Any]])?.first?["id"] as? String),
                    endpoint: try #require(endpoint.string("id")),
                    delivery: try #require((deliveries.json["data"] as? [[String: Any]])?.first?["id"] as? String),
                    organizer: seed.organizer.id.rawValue)
                let doorA = try #require(device.string("key"))

                // B: an organizer with its own live event and door device.
                let madeB = try await client.post("/api/v1/organizers", key: admin, json: #"{"name":"Other","slug":"other-b","email":"b@other.example"}"#)
                let b = try #require((madeB.json["api_key"] as? [String: Any])?["key"] as? String)
                let eventB = try #require(try await client.post("/api/v1/events", key: b, json: """
                    {"title":"B night","starts_at":"2027-10-01T19:00:00Z","timezone":"UTC","currency":"EUR"}
                    """).string("id"))
                let doorB = try #require(try await client.post("/api/v1/events/\(eventB)/checkin-devices", key: b, json: #"{"name":"B door"}"#).string("key"))

                let document = try await client.get("/api/v1/openapi.json")
                let operations = Self.operations(document.json)
                #expect(operations.count >= 60, "the document's organizer, door and admin operations")
                let before = try await databaseSnapshot(database)
                var tried = 0
                for operation in operations {
                    let path = try resources.path(operation.template) + (operation.template.hasSuffix("/checkin/search") ? "?q=demo" : "")
                    let addressed = operation.template.contains("{")
                    // A body that passes validation, so that what answers is the check of who may.
                    let body = operation.method == .get || operation.method == .delete ? nil : resources.body(for: operation.template)
                    var callers: [(String, String)] = []
                    switch operation.tag {
                    case "admin": callers = [("organizer A's key", a), ("organizer B's key", b), ("A's door key", doorA)]
                    case "door": callers = [("organizer B's key", b), ("B's door key", doorB)]
                    default: callers = [("organizer B's key", b), ("A's door key", doorA), ("B's door key", doorB)]
                    }
                    for (who, key) in callers {
                        // Creating with one's own key on a route that names nothing of A's is not crossing tenants,
                        // and an organizer edits its own settings through the admin's route.
                        if !addressed && operation.method != .get && operation.tag == "organizer" && !who.contains("door") { continue }
                        if operation.template == "/api/v1/organizers/{id}" && key == a { continue }
                        let reply = try await client.send(operation.method, path, key: key, json: body)
                        tried += 1
                        let code = reply.status.code
                        if operation.template == "/api/v1/checkin/scan" && code == 200 {
                            // Another organizer's ticket is as unknown at this door as a forged one; the failed scan is B's to see.
                            #expect(reply.string("result") == "invalid" && reply.string("reason") == "unknown ticket", "scan as \(who): \(reply.text)")
                        } else if operation.tag != "admin" && !addressed && operation.method == .get && (200..<300).contains(code) {
                            for id in resources.ids { #expect(!reply.text.contains(id), "\(operation.method) \(operation.template) as \(who) shows A's \(id)") }
                        } else {
                            #expect(code == 403 || code == 404, "\(operation.method) \(operation.template) as \(who): \(code) \(reply.text.prefix(200))")
                        }
                    }
                }
                let after = try await databaseSnapshot(database)
                let organizerB = try #require((madeB.json["organizer"] as? [String: Any])?["id"] as? String)
                for table in Set(before.keys).union(after.keys).sorted() {
                    let (old, new) = (Set(before[table] ?? []), Set(after[table] ?? []))
                    let added = new.subtracting(old).filter { !(table == "checkin_scans" && $0.contains(organizerB)) }
                    let removed = old.subtracting(new)
                    #expect(added.isEmpty && removed.isEmpty, "\(table): added \(Array(added.prefix(2))), removed \(Array(removed.prefix(2)))")
                }
                #expect(tried > 150)
            }
        }
    }

    static func operations(_ document: [String: Any]) -> [Operation] {
        let methods: [String: HTTPRequest.Method] = ["get": .get, "post": .post, "patch": .patch, "put": .put, "delete": .delete]
        var found: [Operation] = []
        for (path, item) in document["paths"] as? [String: [String: Any]] ?? [:] {
            for (name, operation) in item {
                guard let method = methods[name], let operation = operation as? [String: Any],
                      let tag = (operation["tags"] as? [String])?.first, ["organizer", "door", "admin"].contains(tag) else { continue }
                found.append(Operation(method: method, template: path, tag: tag))
            }
        }
        return found.sorted { ($0.template, "\($0.method)") < ($1.template, "\($1.method)") }
    }
}
