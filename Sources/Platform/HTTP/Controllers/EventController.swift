import Hummingbird
import PluginKit

/// Organizer routes for events and their ticket variants; every query is scoped to the caller's organizer.
struct EventController {
    let catalog: Catalog
    let maxBodyBytes: Int

    func register(_ routes: RouteRegistrar<OrganizerContext>) {
        routes.on(.post, "events", use: create)
        routes.on(.get, "events", use: list)
        routes.on(.get, "events/{id}", use: show)
        routes.on(.patch, "events/{id}", use: update)
        routes.on(.post, "events/{id}/variants", use: createVariant)
        routes.on(.patch, "variants/{id}", use: updateVariant)
    }

    @Sendable func create(_ request: Request, context: OrganizerContext) async throws -> Response {
        let organizer = context.organizer
        let fields = try await RequestFields.read(request, limit: maxBodyBytes)
        let input = NewEvent(
            title: fields.required(fields.string("title"), "title", placeholder: ""),
            venue: fields.optional(fields.string("venue"), "venue"),
            startsAt: fields.required(fields.timestamp("starts_at"), "starts_at", placeholder: Timestamp(milliseconds: 0)),
            endsAt: fields.optional(fields.timestamp("ends_at"), "ends_at"),
            timezone: fields.required(fields.string("timezone"), "timezone", placeholder: "UTC"),
            currency: fields.required(fields.currency("currency"), "currency", placeholder: .eur),
            status: fields.optional(fields.choice("status", EventStatus.self), "status"),
            reservationMinutes: fields.optional(fields.integer("reservation_minutes"), "reservation_minutes").map(Self.clampedInt),
            redirectOrigins: fields.optional(fields.stringArray("redirect_origins"), "redirect_origins"),
            slug: fields.optional(fields.string("slug"), "slug"))
        try fields.finish()
        let event = try await catalog.createEvent(input, organizer: organizer)
        return try JSONCoding.response(EventBody(event, variants: []), status: .created)
    }

    @Sendable func list(_ request: Request, context: OrganizerContext) async throws -> Response {
        let organizer = context.organizer
        let page = try Page(request)
        let events = try await catalog.events(organizer: organizer, after: try page.cursor(EventID.self), limit: page.limit)
        return try JSONCoding.response(page.body(events.map { EventBody($0) }, lastID: events.last?.id))
    }

    @Sendable func show(_ request: Request, context: OrganizerContext) async throws -> Response {
        let organizer = context.organizer
        let (event, variants) = try await catalog.event(try context.pathID(EventID.self), organizer: organizer)
        return try JSONCoding.response(EventBody(event, variants: variants))
    }

    @Sendable func update(_ request: Request, context: OrganizerContext) async throws -> Response {
        let organizer = context.organizer
        let id = try context.pathID(EventID.self)
        let fields = try await RequestFields.read(request, limit: maxBodyBytes)
        var changes = EventChanges()
        changes.title = fields.nonNull(fields.string("title"), "title")
        changes.venue = fields.string("venue")
        changes.startsAt = fields.nonNull(fields.timestamp("starts_at"), "starts_at")
        changes.endsAt = fields.timestamp("ends_at")
        changes.timezone = fields.nonNull(fields.string("timezone"), "timezone")
        changes.currency = fields.nonNull(fields.currency("currency"), "currency")
        changes.status = fields.nonNull(fields.choice("status", EventStatus.self), "status")
        changes.slug = fields.string("slug")
        changes.reservationMinutes = fields.nonNull(fields.integer("reservation_minutes"), "reservation_minutes").map(Self.clampedInt)
        changes.redirectOrigins = fields.nonNull(fields.stringArray("redirect_origins"), "redirect_origins")
        try fields.finish()
        let (event, variants) = try await catalog.updateEvent(id, organizer: organizer, changes: changes)
        return try JSONCoding.response(EventBody(event, variants: variants))
    }

    @Sendable func createVariant(_ request: Request, context: OrganizerContext) async throws -> Response {
        let organizer = context.organizer
        let eventID = try context.pathID(EventID.self)
        let fields = try await RequestFields.read(request, limit: maxBodyBytes)
        let input = NewVariant(
            name: fields.required(fields.string("name"), "name", placeholder: ""),
            price: fields.required(fields.integer("price"), "price", placeholder: 0),
            quota: fields.required(fields.integer("quota"), "quota", placeholder: 0),
            maxPerOrder: fields.optional(fields.integer("max_per_order"), "max_per_order"),
            salesStart: fields.optional(fields.timestamp("sales_start"), "sales_start"),
            salesEnd: fields.optional(fields.timestamp("sales_end"), "sales_end"),
            status: fields.optional(fields.choice("status", VariantStatus.self), "status"))
        try fields.finish()
        let (variant, currency) = try await catalog.createVariant(input, event: eventID, organizer: organizer)
        return try JSONCoding.response(VariantBody(variant, currency: currency), status: .created)
    }

    @Sendable func updateVariant(_ request: Request, context: OrganizerContext) async throws -> Response {
        let organizer = context.organizer
        let id = try context.pathID(VariantID.self)
        let fields = try await RequestFields.read(request, limit: maxBodyBytes)
        var changes = VariantChanges()
        changes.name = fields.nonNull(fields.string("name"), "name")
        changes.price = fields.nonNull(fields.integer("price"), "price")
        changes.quota = fields.nonNull(fields.integer("quota"), "quota")
        changes.maxPerOrder = fields.integer("max_per_order")
        changes.salesStart = fields.timestamp("sales_start")
        changes.salesEnd = fields.timestamp("sales_end")
        changes.status = fields.nonNull(fields.choice("status", VariantStatus.self), "status")
        try fields.finish()
        let (variant, currency) = try await catalog.updateVariant(id, organizer: organizer, changes: changes)
        return try JSONCoding.response(VariantBody(variant, currency: currency))
    }

    /// Out-of-range integers become a value validation rejects, instead of trapping on conversion.
    static func clampedInt(_ value: Int64) -> Int { Int(clamping: value) }
}
