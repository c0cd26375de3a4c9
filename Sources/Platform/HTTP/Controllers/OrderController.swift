import Hummingbird
import PluginKit

/// Organizer routes for orders and refunds, scoped to the caller's organizer.
struct OrderController {
    let orders: Orders
    let refunds: RefundService
    let maxBodyBytes: Int

    func register(_ routes: RouteRegistrar<OrganizerContext>) {
        routes.on(.get, "events/{id}/orders", use: list)
        routes.on(.get, "orders/{id}", use: show)
        routes.on(.post, "orders/{id}/refunds", use: refund)
    }

    @Sendable func list(_ request: Request, context: OrganizerContext) async throws -> Response {
        let event = try context.pathID(EventID.self)
        let page = try Page(request)
        let found = try await orders.list(event: event, organizer: context.organizer, after: try page.cursor(OrderID.self), limit: page.limit)
        return try JSONCoding.response(page.body(found.map(OrderBody.init), lastID: found.last?.id))
    }

    @Sendable func show(_ request: Request, context: OrganizerContext) async throws -> Response {
        try JSONCoding.response(OrderBody(try await orders.find(try context.pathID(OrderID.self), organizer: context.organizer)))
    }

    @Sendable func refund(_ request: Request, context: OrganizerContext) async throws -> Response {
        let id = try context.pathID(OrderID.self)
        let input = try await Self.refundInput(request, limit: maxBodyBytes)
        let refund = try await refunds.refund(id, organizer: context.organizer, amount: input.amount, reason: input.reason, tickets: input.tickets,
                                              part: input.part)
        return try JSONCoding.response(RefundBody(refund), status: .accepted)
    }

    /// The optional `{amount?, reason?, tickets?}` body of a refund request.
    static func refundInput(_ request: Request, limit: Int) async throws -> (amount: Int64?, reason: String?, tickets: [String], part: RefundPart) {
        let fields = try await RequestFields.readIfPresent(request, limit: limit)
        let amount = fields.optional(fields.integer("amount"), "amount")
        let reason = fields.optional(fields.string("reason"), "reason")
        let tickets = fields.optional(fields.stringArray("tickets"), "tickets") ?? []
        let part = fields.optional(fields.choice("part", RefundPart.self), "part") ?? .credit
        if let text = reason, !TextRules.isPresent(text, max: 500) { fields.fail("reason", "must be 1 to 500 characters") }
        if tickets.count > 500 || Set(tickets).count != tickets.count { fields.fail("tickets", "must be at most 500 distinct ticket ids") }
        try fields.finish()
        return (amount, reason, tickets, part)
    }
}

/// Admin refund triage: refunds by status (failed automatic ones first of all), and refunding any order.
struct AdminRefundController {
    let refunds: RefundService
    let maxBodyBytes: Int

    func register(_ routes: RouteRegistrar<AdminContext>) {
        routes.on(.get, "admin/refunds", use: list)
        routes.on(.post, "admin/orders/{id}/refunds", use: refund)
    }

    @Sendable func list(_ request: Request, context: AdminContext) async throws -> Response {
        let page = try Page(request)
        let statuses = try request.statusFilter(allowed: RefundRepository.statuses, default: ["failed"])
        let rows = try await refunds.list(statuses: statuses, after: try page.cursor(RefundID.self), limit: page.limit)
        return try JSONCoding.response(page.body(rows.map(RefundBody.init), lastID: rows.last?.id))
    }

    @Sendable func refund(_ request: Request, context: AdminContext) async throws -> Response {
        let id = try context.pathID(OrderID.self)
        let input = try await OrderController.refundInput(request, limit: maxBodyBytes)
        let refund = try await refunds.refund(id, organizer: nil, amount: input.amount, reason: input.reason ?? "by an admin",
                                              tickets: input.tickets, part: input.part)
        return try JSONCoding.response(RefundBody(refund), status: .accepted)
    }
}
