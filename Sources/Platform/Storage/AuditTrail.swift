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

    /// Many changes (a payout run's payouts) with one insert per 500 entries and one read of endpoints.
    package static func record(_ changes: [AuditedChange], at time: Timestamp, on sql: any SQLDatabase) async throws {
        guard !changes.isEmpty else { return }
        try await AuditLogRepository(sql).insert(changes.map { entry(for: $0, at: time) })
        let published = changes.compactMap { change -> OutgoingWebhooks.Event? in
            guard let organizer = change.organizer, let type = WebhookEventType(rawValue: change.action), let data = change.data else { return nil }
            return OutgoingWebhooks.Event(type: type, organizer: organizer, subject: change.subject, data: data)
        }
        try await OutgoingWebhooks.publish(published, at: time, on: sql)
    }

    /// The entry a change makes, attributed to whoever acts in the current task.
    package static func entry(for change: AuditedChange, at time: Timestamp) -> AuditEntry {
        let scope = AuditScope.current
        return AuditEntry(id: .generate(at: time), organizerID: change.organizer, actor: scope.actor, action: change.action,
                          subjectID: change.subject, orderID: change.order, eventID: change.event, changes: change.changes.json,
                          requestID: scope.requestID, createdAt: time)
    }

    /// Whether recording the change would publish a webhook event (an enabled endpoint of its
    /// organizer subscribes to it): a hot path that writes its audit entry by itself (an admission
    /// in one statement) takes the general path only then.
    package static func publishes(_ change: AuditedChange, on sql: any SQLDatabase) async throws -> Bool {
        guard let organizer = change.organizer, let type = WebhookEventType(rawValue: change.action), change.data != nil else { return false }
        return try await WebhookEndpointRepository(sql).enabled(organizers: [organizer]).contains { $0.events.contains(type) }
    }
}
