import PluginKit
import SQLKit

/// Records changes in the audit log and, where an action is a webhook event type, publishes it to
/// the organizer's subscribed endpoints: both in the caller's transaction, so the entries and the
/// deliveries exist exactly when the change does. Who acted comes from `AuditScope.current`.
package enum AuditTrail {
    package static func record(_ action: String, organizer: OrganizerID?, subject: String, order: OrderID? = nil, event: EventID? = nil,
                               changes: AuditChanges, data: (any Encodable & Sendable)? = nil, at time: Timestamp,
                               on sql: any SQLDatabase) async throws {
        try await record([AuditedChange(action, organizer: organizer, subject: subject, order: order, event: event, changes: changes, data: data)],
                         at: time, on: sql)
    }

    /// Many changes (a payout run's payouts) with one insert per 500 entries and one read of
    /// endpoints; none with `publishing` false, for a caller that read already that no endpoint
    /// subscribes (an admission at the door).
    package static func record(_ changes: [AuditedChange], at time: Timestamp, on sql: any SQLDatabase, publishing: Bool = true) async throws {
        guard !changes.isEmpty else { return }
        let entries = changes.map { entry(for: $0, at: time) }
        let events = !publishing ? [] : changes.compactMap { change -> OutgoingWebhooks.Event? in
            guard let organizer = change.organizer, let type = WebhookEventType(rawValue: change.action), let data = change.data else { return nil }
            return OutgoingWebhooks.Event(type: type, organizer: organizer, subject: change.subject, data: data)
        }
        guard !events.isEmpty else { return try await AuditLogRepository(sql).insert(entries) }
        let endpoints = try await AuditLogRepository(sql).insert(entries, readingEndpointsOf: Array(Set(events.map(\.organizer))).sorted())
        try await OutgoingWebhooks.publish(events, to: endpoints, at: time, on: sql)
    }

    /// The entry a change makes, attributed to whoever acts in the current task.
    package static func entry(for change: AuditedChange, at time: Timestamp) -> AuditEntry {
        let scope = AuditScope.current
        return AuditEntry(id: .generate(at: time), organizerID: change.organizer, actor: scope.actor, action: change.action,
                          subjectID: change.subject, orderID: change.order, eventID: change.event, changes: change.changes.json,
                          requestID: scope.requestID, createdAt: time)
    }
}
