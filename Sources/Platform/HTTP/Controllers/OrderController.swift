import Hummingbird

/// Organizer routes for orders and refunds, scoped to the caller's organizer.
struct OrderController {
    let database: any Database
    let refunds: RefundService
    let maxBodyBytes: Int

    func register(_ routes: RouteRegistrar) {
        routes.on(.get, "events/{id}/orders", use: list)
        routes.on(.get, "orders/{id}", use: show)
        routes.on(.post, "orders/{id}/refunds", use: refund)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let organizer = try context.requireOrganizer()
        let event = try context.pathID(EventID.self)
        let page = try Page(request)
        let after = try page.cursor(OrderID.self)
        let orders = try await database.read { sql in
            guard try await EventRepository(sql).find(event, organizer: organizer) != nil else { throw PlatformError.notFound("event") }
            return try await OrderRepository(sql).list(event: event, organizer: organizer, after: after, limit: page.limit)
        }
        return try JSONCoding.response(page.body(orders.map(OrderBody.init), lastID: orders.last?.id))
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let organizer = try context.requireOrganizer()
        let id = try context.pathID(OrderID.self)
        guard let order = try await database.read({ sql in try await OrderRepository(sql).find(id, organizer: organizer) }) else {
            throw PlatformError.notFound("order")
        }
        return try JSONCoding.response(OrderBody(order))
    }

    @Sendable func refund(_ request: Request, context: AppRequestContext) async throws -> Response {
        let organizer = try context.requireOrganizer()
        let id = try context.pathID(OrderID.self)
        let fields = try await RequestFields.readIfPresent(request, limit: maxBodyBytes)
        let amount = fields.optional(fields.integer("amount"), "amount")
        let reason = fields.optional(fields.string("reason"), "reason")
        if let text = reason, !TextRules.isPresent(text, max: 500) { fields.fail("reason", "must be 1 to 500 characters") }
        try fields.finish()
        let refund = try await refunds.refund(id, organizer: organizer, amount: amount, reason: reason)
        return try JSONCoding.response(RefundBody(
            id: refund.id.rawValue, orderId: refund.order.id.rawValue, amount: refund.amount.minorUnits,
            currency: refund.amount.currency.code, status: "requested", providerReference: refund.reference), status: .accepted)
    }
}
