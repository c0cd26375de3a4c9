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
    let result: ScanResult
    /// The answer as JSON: stored, and given back as it is to a retry.
    let answer: String
    let scannedAt: Timestamp
    let recordedAt: Timestamp

    init(id: ScanID, organizer: OrganizerID, event: EventID?, ticket: TicketID?, device: String, nonce: String?, direction: ScanDirection,
         offline: Bool, answer: ScanAnswer, scannedAt: Timestamp, recordedAt: Timestamp) throws {
        self.id = id
        self.organizer = organizer
        self.event = event
        self.ticket = ticket
        self.device = device
        self.nonce = nonce
        self.direction = direction
        self.offline = offline
        result = answer.result
        self.answer = String(decoding: try JSONCoding.encoder.encode(answer), as: UTF8.self)
        self.scannedAt = scannedAt
        self.recordedAt = recordedAt
    }
}

/// Every scan is one of these inserts, so it is prepared.
private struct InsertScan: PreparedStatement {
    static let name = "ticketing_insert_scan"
    static let sql = """
        INSERT INTO checkin_scans (id, organizer_id, event_id, ticket_id, device, nonce, direction, source, result, answer,
                                   scanned_at, recorded_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        ON CONFLICT (device, nonce) DO NOTHING
        RETURNING id
        """
    let scan: ScanRecord

    var values: [StatementValue] {
        [.text(scan.id.rawValue), .text(scan.organizer.rawValue), .text(scan.event?.rawValue), .text(scan.ticket?.rawValue),
         .text(scan.device), .text(scan.nonce), .text(scan.direction.rawValue), .text(scan.offline ? "offline" : "online"),
         .text(scan.result.rawValue), .text(scan.answer), .integer(scan.scannedAt.milliseconds), .integer(scan.recordedAt.milliseconds)]
    }

    static func row(_ columns: inout StatementColumns) throws -> String { try columns.text() }
}

/// A re-scan's record, written only while the ticket is still inside as it was read (`ticket`):
/// an exit, a refund or a block in between writes nothing, and the full check decides the scan.
private struct InsertReScan: PreparedStatement {
    static let name = "ticketing_insert_rescan"
    static let sql = """
        INSERT INTO checkin_scans (id, organizer_id, event_id, ticket_id, device, nonce, direction, source, result, answer,
                                   scanned_at, recorded_at)
        SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12
        WHERE EXISTS (SELECT 1 FROM tickets t WHERE t.id = $4 AND t.version = $13 AND t.status = 'valid' AND t.blocked_at IS NULL
                      AND t.inside = 1 AND t.admitted_at IS NOT DISTINCT FROM $14 AND t.admitted_by IS NOT DISTINCT FROM $15)
        ON CONFLICT (device, nonce) DO NOTHING
        RETURNING id
        """
    let scan: ScanRecord
    let ticket: Ticket

    var values: [StatementValue] {
        InsertScan(scan: scan).values + [.integer(ticket.version), .integer(ticket.admittedAt?.milliseconds), .text(ticket.admittedBy)]
    }

    static func row(_ columns: inout StatementColumns) throws -> String { try columns.text() }
}

struct ScanRepository: Sendable {
    let sql: any SQLDatabase
    init(_ sql: any SQLDatabase) { self.sql = sql }

    /// Thrown to roll back a transaction whose scan's nonce turned out to be taken.
    struct NonceTaken: Error {}

    /// Records the scan; false when this device's nonce is already recorded (nothing is written).
    @discardableResult
    func insert(_ scan: ScanRecord) async throws -> Bool {
        try await !sql.execute(InsertScan(scan: scan)).isEmpty
    }

    /// Records a re-scan of `ticket` while the ticket is still inside as read; false when it is not,
    /// or when this device's nonce is already recorded (nothing is written either way).
    func insert(_ scan: ScanRecord, whileInside ticket: Ticket) async throws -> Bool {
        try await !sql.execute(InsertReScan(scan: scan, ticket: ticket)).isEmpty
    }

    /// The answer (JSON) already given to this device's nonce, if any.
    func answer(device: String, nonce: String) async throws -> String? {
        struct Row: Decodable { let answer: String }
        return try await sql.raw("""
            SELECT answer FROM checkin_scans WHERE device = \(bind: device) AND nonce = \(bind: nonce)
            """).first(decoding: Row.self)?.answer
    }

    struct Listed: Decodable {
        let id: String, ticketId: String?, device: String, direction: String, source: String, result: String, scannedAt: Int64
    }

    func list(event: EventID, after: ScanID?, limit: Int) async throws -> [Listed] {
        try await sql.raw("""
            SELECT id, ticket_id, device, direction, source, result, scanned_at FROM checkin_scans
            WHERE event_id = \(bind: event.rawValue) AND id > \(bind: after?.rawValue ?? "") ORDER BY id LIMIT \(bind: limit)
            """).all(decoding: Listed.self, keyDecodingStrategy: .snakeCaseColumns)
    }
}
