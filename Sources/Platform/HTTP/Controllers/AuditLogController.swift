import Hummingbird
import PluginKit
import SQLKit

/// The audit log: an organizer's own entries, every entry for admins, and an order's or an event's history.
struct AuditLogController {
    let database: any Database

    func register(organizer: RouteRegistrar<OrganizerContext>, admin: RouteRegistrar<AdminContext>) {
        organizer.on(.get, "audit-log", use: organizerLog)
        organizer.on(.get, "orders/{id}/history", use: orderHistory)
        organizer.on(.get, "events/{id}/history", use: eventHistory)
        admin.on(.get, "admin/audit-log", use: adminLog)
    }

    /// Newest first. Filters: `subject_id`, `order_id`, `event_id`, `actor_kind`, `actor_id`, `action`
    /// (comma-separated), `from`/`to` (RFC 3339 or a date, half-open); paged with `after`.
    @Sendable func organizerLog(_ request: Request, context: OrganizerContext) async throws -> Response {
        var filter = try Self.filter(request)
        filter.organizerID = context.organizer
        return try await list(request, filter)
    }

    /// As the organizer's list, across organizers; `organizer_id` narrows it.
    @Sendable func adminLog(_ request: Request, context: AdminContext) async throws -> Response {
        var filter = try Self.filter(request)
        if let text = request.uri.queryParameters["organizer_id"].map(String.init) {
            guard let id = OrganizerID(text) else { throw ValidationFailure(field: "organizer_id", "is not an organizer id") }
            filter.organizerID = id
        }
        return try await list(request, filter)
    }

    /// Everything that happened to the order and its tickets, oldest first.
    @Sendable func orderHistory(_ request: Request, context: OrganizerContext) async throws -> Response {
        let id = try context.pathID(OrderID.self)
        var filter = AuditFilter()
        filter.organizerID = context.organizer
        filter.orderID = id
        try await requireOwned("order") { sql in try await OrderRepository(sql).find(id)?.organizerID == context.organizer }
        return try await list(request, filter, ascending: true)
    }

    /// The event's own changes, its variants' and its devices', oldest first.
    @Sendable func eventHistory(_ request: Request, context: OrganizerContext) async throws -> Response {
        let id = try context.pathID(EventID.self)
        var filter = AuditFilter()
        filter.organizerID = context.organizer
        filter.eventID = id
        try await requireOwned("event") { sql in try await EventRepository(sql).find(id, organizer: context.organizer) != nil }
        return try await list(request, filter, ascending: true)
    }

    private func requireOwned(_ noun: String, _ check: @escaping @Sendable (any SQLDatabase) async throws -> Bool) async throws {
        guard try await database.read(check) else { throw Problem.notFound(noun) }
    }

    private func list(_ request: Request, _ filter: AuditFilter, ascending: Bool = false) async throws -> Response {
        let page = try Page(request)
        let after = try page.cursor(AuditEntryID.self)
        let found = try await database.read { sql in
            try await AuditLogRepository(sql).list(filter, after: after, limit: page.limit, ascending: ascending)
        }
        return try JSONCoding.response(page.body(found.map(AuditEntryBody.init), lastID: found.last?.id))
    }

    static func filter(_ request: Request) throws -> AuditFilter {
        let query = request.uri.queryParameters
        var check = Validator()
        var filter = AuditFilter()
        func given(_ key: String) -> String? { query[Substring(key)].map(String.init) }
        // Free text and bounds: empty is no filter. An id or a kind: empty is not one.
        func text(_ key: String) -> String? { given(key).flatMap { $0.isEmpty ? nil : $0 } }
        func time(_ key: String) -> Timestamp? {
            guard let text = text(key) else { return nil }
            let parsed = Timestamp(rfc3339: text) ?? Timestamp(rfc3339: text + "T00:00:00Z")
            check.check(parsed != nil, key, "must be an RFC 3339 date-time or a date such as 2026-07-01")
            return parsed
        }
        filter.subjectID = text("subject_id")
        if let order = given("order_id") {
            filter.orderID = OrderID(order)
            check.check(filter.orderID != nil, "order_id", "is not an order id")
        }
        if let event = given("event_id") {
            filter.eventID = EventID(event)
            check.check(filter.eventID != nil, "event_id", "is not an event id")
        }
        if let kind = given("actor_kind") {
            check.check(AuditActor.kinds.contains(kind), "actor_kind", "must be one of \(AuditActor.kinds.sorted().joined(separator: ", "))")
            filter.actorKind = kind
        }
        filter.actorID = text("actor_id")
        filter.actions = (text("action") ?? "").split(separator: ",").map(String.init)
        check.check(filter.actions.count <= 50, "action", "names at most 50 actions")
        filter.from = time("from")
        filter.to = time("to")
        try check.throwIfFailed()
        return filter
    }
}
