import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing
@testable import Ticketing

/// The checkout harness with the Ticketing module installed, and helpers to pay orders and scan.
struct TicketingHarness: Sendable {
    let base: CheckoutHarness
    let module: TicketingModule

    var client: APITestClient { base.client }
    var clock: ManualClock { base.clock }
    var database: any Database { base.database }
    var organizerKey: String { base.organizerKey }

    static func testConfig(_ algorithm: TokenAlgorithm = .eddsa) -> TicketingConfig {
        var config = TicketingConfig()
        config.algorithm = algorithm
        config.keySecret = "test-sealing-secret-0123456789"
        config.checkinRateLimit = 1_000_000
        return config
    }

    static func run(_ engine: DatabaseEngine, config: TicketingConfig = testConfig(), price: Int64 = 2_500, quota: Int64 = 100,
                    _ body: @escaping @Sendable (TicketingHarness) async throws -> Void) async throws {
        var platform = PlatformConfig()
        platform.checkoutRateLimit = 1_000_000
        platform.mailFrom = "tickets@platform.example"
        platform.allowHTTPWebhooks = true
        platform.passwordHashCost = 4
        try await CheckoutHarness.run(engine, price: price, quota: quota, config: platform, modules: { database, clock, platform in
            let keys = try await TicketKeyRing.open(database: database, clock: clock, config: config)
            return [TicketingModule(database: database, clock: clock, keys: keys, config: config,
                                    confirmations: TicketMailSettings(from: platform.mailFrom, baseURL: platform.baseURL))]
        }) { base in
            let module = try #require(base.platform.modules.first as? TicketingModule)
            try await body(TicketingHarness(base: base, module: module))
        }
    }

    struct PaidOrder {
        let id: String
        let accessToken: String
        let tickets: [[String: Any]]
        var ticketIDs: [String] { tickets.compactMap { $0["id"] as? String } }
        var tokens: [String] { tickets.compactMap { $0["token"] as? String } }
    }

    /// Places an order of `quantity` seats, delivers the provider's payment and runs the inbox.
    func paidOrder(quantity: Int = 1, email: String = "buyer@example.com") async throws -> PaidOrder {
        let placed = try await base.placeOrder(body: base.cart(quantity: quantity, email: email))
        #expect(placed.status == .created, "\(placed.text)")
        let id = try #require(placed.orderID)
        let access = try #require(placed.string("access_token"))
        _ = try await base.deliver(id: "evt-\(id)", type: "paid", order: id, amount: 2_500 * Int64(quantity), reference: "pay-\(id)")
        await base.drain()
        let list = try await client.get("/api/v1/public/orders/\(id)/tickets?token=\(access)")
        #expect(list.status == .ok, "\(list.text)")
        return PaidOrder(id: id, accessToken: access, tickets: list.json["data"] as? [[String: Any]] ?? [])
    }

    func scan(_ token: String, key: String? = nil, nonce: String? = nil, direction: String? = nil) async throws -> APITestClient.Reply {
        var body: [String: Any] = ["token": token]
        if let nonce { body["nonce"] = nonce }
        if let direction { body["direction"] = direction }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        return try await client.post("/api/v1/checkin/scan", key: key ?? organizerKey, json: json)
    }

    /// A device key for the harness event (or `event`).
    func device(_ name: String, event: String? = nil, key: String? = nil) async throws -> (id: String, key: String) {
        let reply = try await client.post("/api/v1/events/\(event ?? base.eventID)/checkin-devices", key: key ?? organizerKey,
                                          json: #"{"name":"\#(name)"}"#)
        #expect(reply.status == .created, "\(reply.text)")
        return (try #require(reply.string("id")), try #require(reply.string("key")))
    }

    func count(_ table: String, where condition: String = "1 = 1") async throws -> Int {
        struct Row: Decodable { let n: Int }
        return try await database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table) WHERE \(unsafeRaw: condition)").first(decoding: Row.self)?.n ?? -1
        }
    }
}

/// Decodes QR codes in PNGs with zxing-cpp (PyPI, in the test virtualenv): the test of every PNG we render.
/// Reads PNGs as a door scanner does: QR codes only. With every format on, zxing's linear-barcode
/// readers once found a four-digit "code" in the rows of a valid ticket QR.
enum QRDecoder {
    static let script = """
        import json, sys
        import zxingcpp
        from PIL import Image
        out = []
        for path in sys.argv[1:]:
            found = zxingcpp.read_barcodes(Image.open(path), formats=zxingcpp.BarcodeFormat.QRCode)
            out.append([{"text": r.text, "format": str(r.format)} for r in found])
        print(json.dumps(out))
        """

    /// The texts decoded from each PNG, or nil when no Python is configured (allowed off CI only).
    static func decode(_ pngs: [[UInt8]], sourceLocation: SourceLocation = #_sourceLocation) async throws -> [[String]]? {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var paths: [String] = []
        for (index, png) in pngs.enumerated() {
            let path = directory.appendingPathComponent("\(index).png").path
            try Data(png).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        guard let (status, data) = try await TestPython.run(["-c", script] + paths, sourceLocation: sourceLocation) else { return nil }
        #expect(status == 0)
        let decoded = try #require(try JSONSerialization.jsonObject(with: data) as? [[[String: String]]], "\(String(decoding: data, as: UTF8.self))")
        for results in decoded { for result in results { #expect(result["format"]?.contains("QR") == true) } }
        return decoded.map { $0.compactMap { $0["text"] } }
    }
}

extension TicketingHarness {
    struct OtherEvent {
        let organizerKey: String
        let eventID: String
        let variantID: String
    }

    /// Another live event: of a second organizer, or (with `sameOrganizer`) of the harness organizer.
    func otherEvent(sameOrganizer: Bool = false) async throws -> OtherEvent {
        let catalog = Catalog(database: database, clock: clock)
        var key = organizerKey
        var organizer: OrganizerID
        if sameOrganizer {
            organizer = try #require(try await database.read { sql in try await APIKeyRepository(sql).findActive(secretHash: SecretToken.hash(organizerKey)) }?.scope.organizerID)
        } else {
            let slug = "other-" + UUID().uuidString.prefix(8).lowercased()
            let (created, issued) = try await catalog.createOrganizer(name: "Other", slug: slug, email: "o@other.example", feeBasisPoints: nil)
            organizer = created.id
            key = issued.secret
        }
        let event = try await catalog.createEvent(
            NewEvent(title: "Other Night", startsAt: clock.now().adding(minutes: 60 * 24 * 10), timezone: "UTC", currency: .eur, status: .live),
            organizer: organizer)
        let (variant, _) = try await catalog.createVariant(NewVariant(name: "GA", price: 2_500, quota: 50, status: .live), event: event.id,
                                                           organizer: organizer)
        return OtherEvent(organizerKey: key, eventID: event.id.rawValue, variantID: variant.id.rawValue)
    }

    /// A paid order of one seat for another event.
    func paidOrder(for event: OtherEvent) async throws -> PaidOrder {
        let body = #"{"lines":[{"variant_id":"\#(event.variantID)","quantity":1}],"email":"b@example.com","provider":"test"}"#
        let placed = try await client.send(.post, "/api/v1/public/events/\(event.eventID)/orders", json: body,
                                           headers: [HTTPField.Name("Idempotency-Key")!: UUID().uuidString])
        let id = try #require(placed.orderID, "\(placed.text)")
        let access = try #require(placed.string("access_token"))
        _ = try await base.deliver(id: "evt-\(id)", type: "paid", order: id, amount: 2_500, reference: "pay-\(id)")
        await base.drain()
        let list = try await client.get("/api/v1/public/orders/\(id)/tickets?token=\(access)")
        return PaidOrder(id: id, accessToken: access, tickets: list.json["data"] as? [[String: Any]] ?? [])
    }
}
