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
                      changes: .between(Self.Audited(before), Self.Audited(after)),
                      data: TicketBody(after, qrURL: "\(baseURL)/api/v1/tickets/\(after.id)/qr.png"))
    }

    /// The fields an audit entry compares: never the token.
    struct Audited: Encodable {
        let status: String, blocked: Bool, blockedReason: String?, inside: Bool, admittedAt: String?, admittedBy: String?

        init(_ ticket: Ticket) {
            status = ticket.status.rawValue
            blocked = ticket.blockedAt != nil
            blockedReason = ticket.blockedReason
            inside = ticket.inside
            admittedAt = ticket.admittedAt?.rfc3339
            admittedBy = ticket.admittedBy
        }
    }
}
