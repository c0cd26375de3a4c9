import Platform
import SQLKit

/// An entry decided from a ticket row read just before: the row as it was, the row as it becomes,
/// the scan record whose answer was built from them, and the change the audit log keeps.
struct Admission: Sendable {
    let before: Ticket
    let after: Ticket
    let record: ScanRecord
    let change: AuditedChange
    /// An endpoint subscribes to the change, read with the ticket: it needs the general path.
    let published: Bool

    /// Writes the admission and its record together, only if the ticket row still is as it was
    /// read; false when it changed in between, and nothing is written. A record whose device and
    /// nonce are taken throws, and nothing is written either.
    ///
    /// On PostgreSQL that is one statement (with the audit entry) unless a webhook endpoint
    /// subscribes to admissions; SQLite, which has no data-modifying CTE, and a published admission
    /// run the update, the inserts and the publication in one transaction.
    func write(to database: any Database, at time: Timestamp) async throws -> Bool {
        let change = self.change
        if database.engine == .postgres, !published {
            let entry = AuditTrail.entry(for: change, at: time)
            // One statement is its own transaction: no BEGIN and COMMIT round trips around it.
            return try await database.read { sql in try await !sql.execute(AdmitAndRecord(admission: self, audit: entry)).isEmpty }
        }
        return try await database.transaction { sql in
            guard try await !sql.execute(AdmitUnchanged(admission: self)).isEmpty else { return false }
            guard try await ScanRepository(sql).insert(record) else { throw ScanRepository.NonceTaken() }
            try await AuditTrail.record([change], at: time, on: sql, publishing: published)
            return true
        }
    }

    fileprivate var admitValues: [StatementValue] {
        [.integer(after.admittedAt?.milliseconds), .text(after.admittedBy), .integer(record.recordedAt.milliseconds), .text(before.id.rawValue),
         .integer(before.version), .integer(before.admittedAt?.milliseconds), .text(before.admittedBy)]
    }

    /// The update's conditions: everything the answer was built from is still so.
    fileprivate static let admitSQL = """
        UPDATE tickets SET inside = 1, admitted_at = $1, admitted_by = $2, updated_at = $3
        WHERE id = $4 AND version = $5 AND status = 'valid' AND blocked_at IS NULL AND inside = 0
          AND admitted_at IS NOT DISTINCT FROM $6 AND admitted_by IS NOT DISTINCT FROM $7
        """
}

private struct AdmitAndRecord: PreparedStatement {
    static let name = "ticketing_admit_and_record"
    static let sql = """
        WITH admitted AS (\(Admission.admitSQL) RETURNING id),
        audited AS (
            INSERT INTO audit_log (id, organizer_id, actor_kind, actor_id, action, subject_id, order_id, event_id, changes, request_id, created_at)
            SELECT $15, $9, $16, $17, $18, admitted.id, $19, NULL, $20, $21, $3 FROM admitted)
        INSERT INTO checkin_scans (id, organizer_id, event_id, ticket_id, device, nonce, direction, source, result, answer,
                                   scanned_at, recorded_at)
        SELECT $8, $9, $10, admitted.id, $11, $12, 'entry', 'online', 'admitted', $13, $14, $3 FROM admitted
        RETURNING id
        """
    let admission: Admission
    let audit: AuditEntry

    var values: [StatementValue] {
        let record = admission.record
        return admission.admitValues + [
            .text(record.id.rawValue), .text(record.organizer.rawValue), .text(record.event?.rawValue), .text(record.device),
            .text(record.nonce), .text(record.answer), .integer(record.scannedAt.milliseconds),
            .text(audit.id.rawValue), .text(audit.actor.kind), .text(audit.actor.id), .text(audit.action), .text(audit.orderID?.rawValue),
            .text(audit.changes), .text(audit.requestID),
        ]
    }

    static func row(_ columns: inout StatementColumns) throws -> String { try columns.text() }
}

private struct AdmitUnchanged: PreparedStatement {
    static let name = "ticketing_admit_unchanged"
    static let sql = Admission.admitSQL + " RETURNING id"
    let admission: Admission
    var values: [StatementValue] { admission.admitValues }

    static func row(_ columns: inout StatementColumns) throws -> String { try columns.text() }
}
