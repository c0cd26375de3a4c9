import Hummingbird
import PluginKit

/// Admin triage of one queue: `GET admin/<queue>?status=` lists rows (with `defaultStatuses` when
/// none is asked for) and `POST admin/<queue>/{id}/replay` puts one back.
struct TriageController<Queue: TriageQueue, Body: Encodable> {
    let triage: Triage<Queue>
    /// "webhooks", "outbox".
    let path: String
    let defaultStatuses: [Queue.Status]
    let body: @Sendable (Queue.Row) -> Body

    func register(_ routes: RouteRegistrar<AdminContext>) {
        routes.on(.get, "admin/\(path)", use: list)
        routes.on(.post, "admin/\(path)/{id}/replay", use: replay)
    }

    @Sendable func list(_ request: Request, context: AdminContext) async throws -> Response {
        let page = try Page(request)
        let statuses = try request.statusFilter(Queue.Status.self, default: defaultStatuses)
        let rows = try await triage.list(statuses: statuses, after: try page.cursor(TypedID<Queue.Kind>.self), limit: page.limit)
        return try JSONCoding.response(page.body(rows.map(body), lastID: rows.last.map(triage.queue.id)))
    }

    @Sendable func replay(_ request: Request, context: AdminContext) async throws -> Response {
        try JSONCoding.response(body(try await triage.replay(try context.pathID(TypedID<Queue.Kind>.self))), status: .accepted)
    }
}
