import Foundation
import Platform
import PlatformTesting

/// Draws a fixed "image" so kernel tests need no QR code.
struct StampRenderer: InlineImageRenderer {
    let name = "stamp"
    let contentType = "image/png"
    func render(_ value: String) throws -> [UInt8] { Array("stamp:\(value)".utf8) }
}

enum OutboxFixture {
    static func composer() async throws -> MailComposer {
        try await MailComposer.load(directory: MailComposer.defaultDirectory(), renderers: [StampRenderer()])
    }

    static func confirmationModel(title: String = "Spring Concert") -> String {
        let model: [String: Any] = [
            "organizer": ["name": "Hall & Co"],
            "buyer": ["name": "Ada", "email": "ada@example.com"],
            "event": ["title": title, "starts_at": "Saturday, 6 June 2026, 19:30 (Europe/Berlin)", "venue": "Main hall"],
            "order": ["id": "ord_01jabcdefghjkmnpqrstvwxyz0", "total": "50.00 EUR", "url": "https://tickets.example/orders/x"],
            "tickets": [
                ["id": "tkt_1", "variant": "Standing", "seat": 1, "price": "25.00 EUR", "cid": "qr-1"],
                ["id": "tkt_2", "variant": "Standing", "seat": 2, "price": "25.00 EUR", "cid": "qr-2"],
            ],
        ]
        return String(decoding: try! JSONSerialization.data(withJSONObject: model), as: UTF8.self)
    }

    static func content(title: String = "Spring Concert") -> MailContent {
        MailContent(sender: MailAddress(email: "tickets@platform.example", name: "Hall & Co"), replyTo: "office@hall.example",
                    model: confirmationModel(title: title),
                    images: [InlineImage(contentID: "qr-1", filename: "ticket-1.png", renderer: "stamp", value: "token-1"),
                             InlineImage(contentID: "qr-2", filename: "ticket-2.png", renderer: "stamp", value: "token-2")])
    }

    @discardableResult
    static func enqueue(_ database: any Database, key: String, at time: Timestamp, title: String = "Spring Concert") async throws -> MessageID {
        let id = MessageID.generate(at: time)
        let engine = database.engine
        _ = try await database.transaction { sql in
            try await OutboxRepository(sql, engine: engine).insert(id: id, kind: .orderConfirmation, organizer: nil, recipient: "ada@example.com",
                                                                   content: content(title: title), idempotencyKey: key, at: time)
        }
        return id
    }

    static func find(_ database: any Database, _ id: MessageID) async throws -> OutboxMessage? {
        let engine = database.engine
        return try await database.read { sql in try await OutboxRepository(sql, engine: engine).find(id) }
    }
}
