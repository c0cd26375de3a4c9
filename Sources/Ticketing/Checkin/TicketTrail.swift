import Platform
import SQLKit

/// Audits a change to a ticket (admitted, exited, blocked, unblocked) and publishes its webhook
/// event (`ticket.admitted`, `ticket.blocked`, `ticket.unblocked`) in the transaction of the change.
struct TicketTrail: Sendable {
    let baseURL: String

    func record(_ action: String, before: Ticket, after: Ticket, at time: Timestamp, on sql: any SQLDatabase) async throws {
        try await AuditTrail.record([change(action, before: before, after: after)], at: time, on: sql)
    }

    func change(_ action: String, before: Ticket, after: Ticket) -> AuditedChange {
        AuditedChange(action, organizer: after.organizerID, subject: after.id.rawValue, order: after.orderID, event: nil,
                      changes: Self.changes(before, after), data: TicketBody(after, qrURL: "\(baseURL)/api/v1/tickets/\(after.id)/qr.png"))
    }

    /// The fields that changed, never the token. Compared field by field rather than through
    /// `AuditChanges.between`: every admission at the door comes through here.
    static func changes(_ before: Ticket, _ after: Ticket) -> AuditChanges {
        var fields: [String: (from: (any Sendable)?, to: (any Sendable)?)] = [:]
        func compare<T: Equatable & Sendable>(_ name: String, _ old: T?, _ new: T?) {
            if old != new { fields[name] = (old, new) }
        }
        compare("status", before.status.rawValue, after.status.rawValue)
        compare("blocked", before.blockedAt != nil, after.blockedAt != nil)
        compare("blocked_reason", before.blockedReason, after.blockedReason)
        compare("inside", before.inside, after.inside)
        compare("admitted_at", before.admittedAt?.rfc3339, after.admittedAt?.rfc3339)
        compare("admitted_by", before.admittedBy, after.admittedBy)
        return .fields(fields)
    }
}
