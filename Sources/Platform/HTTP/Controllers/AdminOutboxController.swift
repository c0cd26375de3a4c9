import Hummingbird
import PluginKit

/// Outbox triage for admins: list messages (dead ones by default) and replay a dead one.
struct AdminOutboxController {
    let database: any Database
    let clock: any WallClock
    let signal: WakeSignal

    func register(_ routes: RouteRegistrar) {
        routes.on(.get, "admin/outbox", use: list)
        routes.on(.post, "admin/outbox/{id}/replay", use: replay)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.requireAdmin()
        let page = try Page(request)
        let statuses = try request.statusFilter(OutboxStatus.self, default: [.dead])
        let after = try page.cursor(MessageID.self)
        let engine = database.engine
        let rows = try await database.read { sql in
            try await OutboxRepository(sql, engine: engine).list(statuses: statuses, after: after, limit: page.limit)
        }
        return try JSONCoding.response(page.body(rows.map(OutboxBody.init), lastID: rows.last?.id))
    }

    @Sendable func replay(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.requireAdmin()
        let id = try context.pathID(MessageID.self)
        let now = clock.now()
        let engine = database.engine
        let row = try await database.transaction { sql in
            let outbox = OutboxRepository(sql, engine: engine)
            guard let row = try await outbox.find(id) else { throw PlatformError.notFound("message") }
            guard try await outbox.requeue(id, at: now) else {
                throw PlatformError.conflict("only dead messages can be replayed; this one is \(row.status.rawValue)")
            }
            return try await outbox.find(id)
        }
        signal.wake()
        return try JSONCoding.response(OutboxBody(row!), status: .accepted)
    }
}

/// A message as admins see it: who, what and how it went; never the rendered body.
struct OutboxBody: Encodable {
    let id: String, kind: String, organizerId: String?, recipient: String, status: String, attempts: Int
    let lastError: String?, mailer: String?, providerMessageId: String?, createdAt: Timestamp, nextAttemptAt: Timestamp, sentAt: Timestamp?

    init(_ message: OutboxMessage) {
        id = message.id.rawValue
        kind = message.kind.rawValue
        organizerId = message.organizerID?.rawValue
        recipient = message.recipient
        status = message.status.rawValue
        attempts = message.attempts
        lastError = message.lastError
        mailer = message.mailer
        providerMessageId = message.providerMessageID
        createdAt = message.createdAt
        nextAttemptAt = message.nextAttemptAt
        sentAt = message.sentAt
    }
}
