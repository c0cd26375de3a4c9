import Hummingbird
import PluginKit

/// An organizer's outgoing webhook endpoints and their deliveries.
struct WebhookEndpointController {
    let endpoints: WebhookEndpoints
    let maxBodyBytes: Int

    func register(_ routes: RouteRegistrar<OrganizerContext>) {
        routes.on(.post, "webhook-endpoints", use: create)
        routes.on(.get, "webhook-endpoints", use: list)
        routes.on(.get, "webhook-endpoints/{id}", use: show)
        routes.on(.patch, "webhook-endpoints/{id}", use: update)
        routes.on(.delete, "webhook-endpoints/{id}", use: delete)
        routes.on(.post, "webhook-endpoints/{id}/secret", use: rotate)
        routes.on(.get, "webhook-endpoints/{id}/deliveries", use: endpointDeliveries)
        routes.on(.get, "webhook-deliveries", use: deliveries)
        routes.on(.get, "webhook-deliveries/{id}", use: delivery)
        routes.on(.post, "webhook-deliveries/{id}/resend", use: resend)
    }

    /// `{url, events[], description?}` -> 201 with the endpoint and its `secret`, shown this once.
    @Sendable func create(_ request: Request, context: OrganizerContext) async throws -> Response {
        let input = try await read(request, creating: true)
        let (endpoint, secret) = try await endpoints.create(input, organizer: context.organizer)
        return try JSONCoding.response(WebhookEndpointBody(endpoint, secret: secret), status: .created)
    }

    /// `{url?, events?, description?, status?: enabled|disabled}`.
    @Sendable func update(_ request: Request, context: OrganizerContext) async throws -> Response {
        let id = try context.pathID(WebhookEndpointID.self)
        let input = try await read(request, creating: false)
        return try JSONCoding.response(WebhookEndpointBody(try await endpoints.update(id, organizer: context.organizer, with: input)))
    }

    private func read(_ request: Request, creating: Bool) async throws -> WebhookEndpointInput {
        let fields = try await RequestFields.read(request, limit: maxBodyBytes)
        var input = WebhookEndpointInput()
        input.url = creating ? fields.optional(fields.string("url"), "url", nullable: false) : fields.nonNull(fields.string("url"), "url")
        if let names = creating ? fields.optional(fields.stringArray("events"), "events", nullable: false)
            : fields.nonNull(fields.stringArray("events"), "events") {
            let types = names.compactMap(WebhookEventType.init(rawValue:))
            if types.count == names.count {
                input.events = types
            } else {
                fields.fail("events", "must be among \(WebhookEventType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        input.description = fields.string("description")
        if !creating { input.status = fields.nonNull(fields.choice("status", WebhookEndpointStatus.self), "status") }
        try fields.finish()
        return input
    }

    @Sendable func list(_ request: Request, context: OrganizerContext) async throws -> Response {
        let page = try Page(request)
        let found = try await endpoints.endpoints(organizer: context.organizer, after: try page.cursor(WebhookEndpointID.self), limit: page.limit)
        return try JSONCoding.response(page.body(found.map { WebhookEndpointBody($0) }, lastID: found.last?.id))
    }

    @Sendable func show(_ request: Request, context: OrganizerContext) async throws -> Response {
        let endpoint = try await endpoints.endpoint(try context.pathID(WebhookEndpointID.self), organizer: context.organizer)
        return try JSONCoding.response(WebhookEndpointBody(endpoint))
    }

    @Sendable func delete(_ request: Request, context: OrganizerContext) async throws -> Response {
        try await endpoints.delete(try context.pathID(WebhookEndpointID.self), organizer: context.organizer)
        return Response(status: .noContent)
    }

    /// A new secret, shown once; the previous one keeps signing for 24 hours.
    @Sendable func rotate(_ request: Request, context: OrganizerContext) async throws -> Response {
        let (endpoint, secret) = try await endpoints.rotateSecret(try context.pathID(WebhookEndpointID.self), organizer: context.organizer)
        return try JSONCoding.response(WebhookEndpointBody(endpoint, secret: secret))
    }

    @Sendable func endpointDeliveries(_ request: Request, context: OrganizerContext) async throws -> Response {
        try await deliveryList(request, organizer: context.organizer, endpoint: try context.pathID(WebhookEndpointID.self))
    }

    /// `?status=` pending, sending, delivered, failed (comma-separated, or all: the default).
    @Sendable func deliveries(_ request: Request, context: OrganizerContext) async throws -> Response {
        try await deliveryList(request, organizer: context.organizer, endpoint: nil)
    }

    private func deliveryList(_ request: Request, organizer: OrganizerID, endpoint: WebhookEndpointID?) async throws -> Response {
        let page = try Page(request)
        let statuses = try request.statusFilter(WebhookDeliveryStatus.self, default: [])
        let found = try await endpoints.deliveries(organizer: organizer, endpoint: endpoint, statuses: statuses,
                                                   after: try page.cursor(WebhookDeliveryID.self), limit: page.limit)
        return try JSONCoding.response(page.body(found.map { WebhookDeliveryBody($0) }, lastID: found.last?.id))
    }

    @Sendable func delivery(_ request: Request, context: OrganizerContext) async throws -> Response {
        let (delivery, attempts) = try await endpoints.delivery(try context.pathID(WebhookDeliveryID.self), organizer: context.organizer)
        return try JSONCoding.response(WebhookDeliveryBody(delivery, attempts: attempts))
    }

    @Sendable func resend(_ request: Request, context: OrganizerContext) async throws -> Response {
        let delivery = try await endpoints.resend(try context.pathID(WebhookDeliveryID.self), organizer: context.organizer)
        return try JSONCoding.response(WebhookDeliveryBody(delivery), status: .accepted)
    }
}
