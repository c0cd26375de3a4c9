import PluginKit

/// One change as the audit log keeps it. `action` is `<resource>.<verb>` (`order.paid`,
/// `event.updated`, `ticket.admitted`); where a webhook event type of that name exists, the change
/// also publishes it. `subjectID` is the prefixed id of what changed; `orderID` and `eventID` place
/// it in an order's or an event's history.
package struct AuditEntry: Sendable, Equatable {
    package var id: AuditEntryID
    package var organizerID: OrganizerID?
    package var actor: AuditActor
    package var action: String
    package var subjectID: String
    package var orderID: OrderID?
    package var eventID: EventID?
    /// The JSON object of changed fields (see `AuditChanges`).
    package var changes: String
    package var requestID: String?
    package var createdAt: Timestamp
}

/// What the audit log lists: an organizer's own entries (or all, for admins), narrowed by any of
/// these, newest first.
package struct AuditFilter: Sendable {
    package var organizerID: OrganizerID?
    package var subjectID: String?
    package var orderID: OrderID?
    package var eventID: EventID?
    package var actorKind: String?
    package var actorID: String?
    package var actions: [String] = []
    /// Half-open range of `created_at`.
    package var from: Timestamp?
    package var to: Timestamp?

    package init() {}
}

/// One change to record: what happened (`action`, `<resource>.<verb>` such as `event.updated`), to
/// what (`subject`, a prefixed id), where it belongs (organizer, order, event), the fields it changed,
/// and the resource as the API shows it after the change (`data`, sent as a webhook's `data`).
package struct AuditedChange: Sendable {
    package let action: String
    package let organizer: OrganizerID?
    package let subject: String
    package let order: OrderID?
    package let event: EventID?
    package let changes: AuditChanges
    package let data: (any Encodable & Sendable)?

    package init(_ action: String, organizer: OrganizerID?, subject: String, order: OrderID? = nil, event: EventID? = nil,
                 changes: AuditChanges, data: (any Encodable & Sendable)? = nil) {
        self.action = action
        self.organizer = organizer
        self.subject = subject
        self.order = order
        self.event = event
        self.changes = changes
        self.data = data
    }
}
