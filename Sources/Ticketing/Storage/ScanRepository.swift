import Foundation
import Platform
import SQLKit

struct ScanRecord: Sendable {
    let id: ScanID
    let organizer: OrganizerID
    let event: EventID?
    let ticket: TicketID?
    let device: String
    let nonce: String?
    let direction: ScanDirection
    let offline: Bool
    let answer: ScanAnswer
    let scannedAt: Timestamp
    let recordedAt: Timestamp
}

struct ScanRepository: Sendable {
    let sql: any SQLDatabase
    init(_ sql: any SQLDatabase) { self.sql = sql }

    /// Records the scan; false when this device's nonce is already recorded (nothing is written).
    @discardableResult
    func insert(_ scan: ScanRecord) async throws -> Bool {
        struct Row: Decodable { let id: String }
        let answer = String(decoding: try JSONCoding.encoder.encode(scan.answer), as: UTF8.self)
        return try await sql.raw("""
            INSERT INTO checkin_scans (id, organizer_id, event_id, ticket_id, device, nonce, direction, source, result, answer,
                                       scanned_at, recorded_at)
            VALUES (\(bind: scan.id.rawValue), \(bind: scan.organizer.rawValue), \(bind: scan.event?.rawValue),
                    \(bind: scan.ticket?.rawValue), \(bind: scan.device), \(bind: scan.nonce), \(bind: scan.direction.rawValue),
                    \(bind: scan.offline ? "offline" : "online"), \(bind: scan.answer.result.rawValue), \(bind: answer),
                    \(bind: scan.scannedAt.milliseconds), \(bind: scan.recordedAt.milliseconds))
            ON CONFLICT (device, nonce) DO NOTHING
            RETURNING id
            """).first(decoding: Row.self) != nil
    }

    /// The answer already given to this device's nonce, if any.
    func answer(device: String, nonce: String) async throws -> ScanAnswer? {
        struct Row: Decodable { let answer: String }
        guard let row = try await sql.raw("""
            SELECT answer FROM checkin_scans WHERE device = \(bind: device) AND nonce = \(bind: nonce)
            """).first(decoding: Row.self) else { return nil }
        return try JSONCoding.decoder.decode(ScanAnswer.self, from: Data(row.answer.utf8))
    }

    struct Listed: Decodable {
        let id: String, ticketId: String?, device: String, direction: String, source: String, result: String, scannedAt: Int64
    }

    func list(event: EventID, after: ScanID?, limit: Int) async throws -> [Listed] {
        try await sql.raw("""
            SELECT id, ticket_id, device, direction, source, result, scanned_at FROM checkin_scans
            WHERE event_id = \(bind: event.rawValue) AND id > \(bind: after?.rawValue ?? "") ORDER BY id LIMIT \(bind: limit)
            """).all(decoding: Listed.self, keyDecodingStrategy: .convertFromSnakeCase)
    }
}
