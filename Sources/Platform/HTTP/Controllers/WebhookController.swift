import Hummingbird
import NIOCore
import PluginKit

/// `POST /webhooks/{provider}`: raw bytes to the ingress; 200 once stored (or already stored).
struct WebhookController {
    let ingress: WebhookIngress
    let maxBodyBytes: Int

    func register(_ routes: RouteRegistrar) {
        routes.on(.post, "webhooks/{provider}", use: receive)
    }

    @Sendable func receive(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let provider = context.parameters.get("provider") else { throw Problem.notFound("payment provider") }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw Problem.tooLarge(limit: maxBodyBytes)
        }
        let stored = try await ingress.receive(provider: provider, body: body, headers: request.headers)
        struct Body: Encodable { let received: Bool, duplicate: Bool }
        return try JSONCoding.response(Body(received: true, duplicate: !stored))
    }
}

/// Admin triage of the webhook inbox: list failed and dead rows, replay one.
struct AdminWebhookController {
    let database: any Database
    let clock: any WallClock
    let signal: WakeSignal

    func register(_ routes: RouteRegistrar) {
        routes.on(.get, "admin/webhooks", use: list)
        routes.on(.post, "admin/webhooks/{id}/replay", use: replay)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.requireAdmin()
        let page = try Page(request)
        let statuses = try request.statusFilter(InboxStatus.self, default: [.dead, .failed])
        let after = try page.cursor(WebhookID.self)
        let engine = database.engine
        let rows = try await database.read { sql in
            try await WebhookInboxRepository(sql, engine: engine).list(statuses: statuses, after: after, limit: page.limit)
        }
        return try JSONCoding.response(page.body(rows.map(WebhookBody.init), lastID: rows.last?.id))
    }

    @Sendable func replay(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.requireAdmin()
        let id = try context.pathID(WebhookID.self)
        let now = clock.now()
        let engine = database.engine
        let row = try await database.transaction { sql in
            let inbox = WebhookInboxRepository(sql, engine: engine)
            guard let row = try await inbox.find(id) else { throw PlatformError.notFound("webhook") }
            guard try await inbox.requeue(id, at: now) else {
                throw PlatformError.conflict("only dead, failed or ignored webhooks can be replayed; this one is \(row.status.rawValue)")
            }
            return try await inbox.find(id)
        }
        signal.wake()
        return try JSONCoding.response(WebhookBody(row!), status: .accepted)
    }
}
