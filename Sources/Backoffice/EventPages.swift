import Foundation
import Hummingbird
import Platform
import PluginKit

/// The event and variant editor: make an event (a draft), edit it, put it live or cancel it, and
/// add and edit its ticket variants. Times are typed in the event's own time zone; prices in the
/// event's currency as decimals ("25.00"). The catalog's rules say what is wrong, field by field,
/// with the API's words.
struct EventPages {
    let site: MemberSite
    let catalog: Catalog

    func register(_ web: WebRoutes) {
        web.on(.get, "backoffice/events/new") { request, _ in try await site.guarded { try await showNew(request) } }
        web.on(.post, "backoffice/events") { request, _ in try await site.guarded { try await create(request) } }
        web.on(.get, "backoffice/events/{id}") { request, context in
            try await site.guarded { try await edit(request, id: context.parameters.get("id") ?? "") }
        }
        web.on(.post, "backoffice/events/{id}") { request, context in
            try await site.guarded { try await update(request, id: context.parameters.get("id") ?? "") }
        }
        web.on(.post, "backoffice/events/{id}/variants") { request, context in
            try await site.guarded { try await addVariant(request, event: context.parameters.get("id") ?? "") }
        }
        web.on(.post, "backoffice/events/{id}/variants/{variant}") { request, context in
            try await site.guarded {
                try await updateVariant(request, event: context.parameters.get("id") ?? "", variant: context.parameters.get("variant") ?? "")
            }
        }
    }

    // MARK: A new event

    private func showNew(_ request: Request) async throws -> Response {
        let session = try await site.member(request, may: \.managesEvents)
        return try site.page("backoffice_event_new", [
            "title": "New event", "timezone": "Europe/Berlin", "currency": "EUR", "reservation_minutes": 15,
        ], request: request, session: session)
    }

    private func create(_ request: Request) async throws -> Response {
        let session = try await site.member(request, may: \.managesEvents)
        let form = try await site.form(request, session: session)
        guard let organizer = session.member.organizerID else { throw PlatformError.notFound("organizer") }
        let typed = form.fields
        var check = Validator()
        let timezone = form["timezone"] ?? ""
        let startsAt = Self.time(form["starts_at"], "starts_at", timezone: timezone, into: &check)
        if (form["starts_at"] ?? "").isEmpty { check.fail("starts_at", "is required") }
        let endsAt = Self.time(form["ends_at"], "ends_at", timezone: timezone, into: &check)
        let currency = Currency(code: (form["currency"] ?? "").uppercased())
        check.check(currency != nil, "currency", "must be an ISO 4217 currency code")
        let minutes = Self.integer(form["reservation_minutes"], "reservation_minutes", into: &check)
        do {
            try check.throwIfFailed()
            let event = try await site.acting(session) {
                try await catalog.createEvent(NewEvent(
                    title: form["title"] ?? "", venue: Self.optional(form["venue"]), startsAt: startsAt ?? Timestamp(milliseconds: 0),
                    endsAt: endsAt, timezone: timezone, currency: currency ?? .eur, status: .draft,
                    reservationMinutes: minutes.map(Int.init), slug: Self.optional(form["slug"])), organizer: organizer)
            }
            return PageRenderer.redirect(to: "/backoffice/events/\(event.id)?created=1")
        } catch let failure as ValidationFailure {
            var model: [String: Any] = [:]
            for (name, value) in typed where name != "csrf" { model[name] = value }
            model["title_text"] = typed["title"] ?? ""
            model["title"] = "New event"
            model["errors"] = Self.errors(failure)
            for error in failure.errors { model["error_" + error.field] = error.detail }
            return try site.page("backoffice_event_new", model, request: request, session: session, status: .unprocessableContent)
        }
    }

    // MARK: Editing

    private func edit(_ request: Request, id: String, session given: Members.Session? = nil, notice: String? = nil,
                      failure: ValidationFailure? = nil, failedForm: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let session = try await site.member(request, given: given, may: \.managesEvents)
        guard let organizer = session.member.organizerID, let eventID = EventID(id),
              let (event, variants) = try? await catalog.event(eventID, organizer: organizer) else {
            return try site.notFound("No such event", "Check the address.", request: request, session: session)
        }
        let zone = event.timezone
        let price = { (minor: Int64) in Money(minorUnits: minor, currency: event.currency).decimalString }
        var model: [String: Any] = [
            "title": "Edit \(event.title)", "event_id": event.id.rawValue, "event_title": event.title, "venue": event.venue ?? "",
            "slug": event.slug ?? "",
            "starts_at": LocalTime.inputValue(event.startsAt, timezone: zone),
            "ends_at": event.endsAt.map { LocalTime.inputValue($0, timezone: zone) } ?? "",
            "timezone": zone, "currency": event.currency.code, "reservation_minutes": event.reservationMinutes,
            "status": event.status.rawValue, "is_draft": event.status == .draft, "is_live": event.status == .live,
            "is_cancelled": event.status == .cancelled,
            "shop": "/e/\(event.id)",
            "variants": variants.map { variant in
                [
                    "variant_id": variant.id.rawValue, "name": variant.name, "price": price(variant.price), "quota": variant.quota,
                    "sold": variant.sold, "reserved": variant.reserved, "max_per_order": variant.maxPerOrder.map(String.init) ?? "",
                    "sales_start": variant.salesStart.map { LocalTime.inputValue($0, timezone: zone) } ?? "",
                    "sales_end": variant.salesEnd.map { LocalTime.inputValue($0, timezone: zone) } ?? "",
                    "statuses": VariantStatus.allCases.map { ["value": $0.rawValue, "selected": $0 == variant.status] },
                ] as [String: Any]
            },
            "new_statuses": VariantStatus.allCases.map { ["value": $0.rawValue, "selected": $0 == .live] },
            "notice": notice ?? (request.uri.queryParameters["created"] != nil ? "Event made as a draft: add its tickets, then put it live." : false),
        ]
        if let failure {
            model["errors"] = Self.errors(failure)
            model["failed_form"] = failedForm ?? ""
        } else {
            model["errors"] = false
        }
        return try site.page("backoffice_event", model, request: request, session: session, status: status)
    }

    private func update(_ request: Request, id: String) async throws -> Response {
        let session = try await site.member(request, may: \.managesEvents)
        let form = try await site.form(request, session: session)
        guard let organizer = session.member.organizerID, let eventID = EventID(id),
              let (event, _) = try? await catalog.event(eventID, organizer: organizer) else { return try await edit(request, id: id, session: session) }
        var changes = EventChanges()
        var check = Validator()
        if let status = form["status"] {
            changes.status = EventStatus(rawValue: status)
            check.check(changes.status != nil, "status", "must be one of draft, live, cancelled")
        } else {
            let timezone = form["timezone"] ?? event.timezone
            changes.title = form["title"]
            changes.venue = .some(Self.optional(form["venue"]))
            if form["slug"] != nil { changes.slug = .some(Self.optional(form["slug"])) }
            changes.timezone = timezone
            changes.startsAt = Self.time(form["starts_at"], "starts_at", timezone: timezone, into: &check)
            changes.endsAt = .some(Self.time(form["ends_at"], "ends_at", timezone: timezone, into: &check))
            if let code = form["currency"] {
                changes.currency = Currency(code: code.uppercased())
                check.check(changes.currency != nil, "currency", "must be an ISO 4217 currency code")
            }
            changes.reservationMinutes = Self.integer(form["reservation_minutes"], "reservation_minutes", into: &check).map(Int.init)
        }
        do {
            try check.throwIfFailed()
            _ = try await site.acting(session) { try await catalog.updateEvent(eventID, organizer: organizer, changes: changes) }
            let notice = changes.status.map { $0 == .live ? "The event is live: buyers can see it." : "The event is \($0.rawValue)." } ?? "Saved."
            return try await edit(request, id: id, session: session, notice: notice)
        } catch let failure as ValidationFailure {
            return try await edit(request, id: id, session: session, failure: failure, failedForm: "event", status: .unprocessableContent)
        }
    }

    // MARK: Variants

    private func addVariant(_ request: Request, event id: String) async throws -> Response {
        let session = try await site.member(request, may: \.managesEvents)
        let form = try await site.form(request, session: session)
        guard let organizer = session.member.organizerID, let eventID = EventID(id),
              let (event, _) = try? await catalog.event(eventID, organizer: organizer) else { return try await edit(request, id: id, session: session) }
        var check = Validator()
        let fields = Self.variantFields(form, event: event, into: &check)
        do {
            try check.throwIfFailed()
            _ = try await site.acting(session) {
                try await catalog.createVariant(NewVariant(
                    name: form["name"] ?? "", price: fields.price ?? 0, quota: fields.quota ?? 0, maxPerOrder: fields.maxPerOrder ?? nil,
                    salesStart: fields.salesStart ?? nil, salesEnd: fields.salesEnd ?? nil, status: fields.status), event: eventID, organizer: organizer)
            }
            return try await edit(request, id: id, session: session, notice: "Ticket added.")
        } catch let failure as ValidationFailure {
            return try await edit(request, id: id, session: session, failure: failure, failedForm: "new variant", status: .unprocessableContent)
        } catch PlatformError.conflict(let detail) {
            return try await edit(request, id: id, session: session, failure: ValidationFailure(field: "event", detail), status: .conflict)
        }
    }

    private func updateVariant(_ request: Request, event id: String, variant: String) async throws -> Response {
        let session = try await site.member(request, may: \.managesEvents)
        let form = try await site.form(request, session: session)
        guard let organizer = session.member.organizerID, let eventID = EventID(id), let variantID = VariantID(variant),
              let (event, variants) = try? await catalog.event(eventID, organizer: organizer),
              variants.contains(where: { $0.id == variantID }) else { return try await edit(request, id: id, session: session) }
        var check = Validator()
        let fields = Self.variantFields(form, event: event, into: &check)
        var changes = VariantChanges()
        changes.name = form["name"]
        changes.price = fields.price
        changes.quota = fields.quota
        changes.maxPerOrder = fields.maxPerOrder
        changes.salesStart = fields.salesStart
        changes.salesEnd = fields.salesEnd
        changes.status = fields.status
        do {
            try check.throwIfFailed()
            _ = try await site.acting(session) { try await catalog.updateVariant(variantID, organizer: organizer, changes: changes) }
            return try await edit(request, id: id, session: session, notice: "Ticket saved.")
        } catch let failure as ValidationFailure {
            return try await edit(request, id: id, session: session, failure: failure, failedForm: form["name"] ?? "ticket", status: .unprocessableContent)
        }
    }

    private struct VariantFields {
        var price: Int64?, quota: Int64?, maxPerOrder: Int64??, salesStart: Timestamp??, salesEnd: Timestamp??, status: VariantStatus?
    }

    private static func variantFields(_ form: WebForm, event: Event, into check: inout Validator) -> VariantFields {
        var fields = VariantFields()
        if let text = form["price"] {
            fields.price = Money(decimal: text.trimmingCharacters(in: .whitespaces), currency: event.currency)?.minorUnits
            check.check(fields.price != nil, "price", "must be an amount in \(event.currency.code), such as 25.00")
        }
        fields.quota = integer(form["quota"], "quota", into: &check)
        if let text = form["max_per_order"] { fields.maxPerOrder = .some(text.isEmpty ? nil : integer(text, "max_per_order", into: &check)) }
        if form["sales_start"] != nil { fields.salesStart = .some(time(form["sales_start"], "sales_start", timezone: event.timezone, into: &check)) }
        if form["sales_end"] != nil { fields.salesEnd = .some(time(form["sales_end"], "sales_end", timezone: event.timezone, into: &check)) }
        if let text = form["status"] {
            fields.status = VariantStatus(rawValue: text)
            check.check(fields.status != nil, "status", "must be one of draft, live, sold_out, hidden")
        }
        return fields
    }

    // MARK: Reading fields

    /// A local time typed in the event's zone; nil (and no error) when left empty.
    static func time(_ text: String?, _ field: String, timezone: String, into check: inout Validator) -> Timestamp? {
        guard let text, !text.isEmpty else { return nil }
        let time = LocalTime.parseInput(text, timezone: timezone)
        check.check(time != nil, field, "must be a date and time")
        return time
    }

    static func integer(_ text: String?, _ field: String, into check: inout Validator) -> Int64? {
        guard let text, !text.isEmpty else { return nil }
        let value = Int64(text.trimmingCharacters(in: .whitespaces))
        check.check(value != nil, field, "must be a whole number")
        return value
    }

    static func optional(_ text: String?) -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        return text
    }

    /// "Starts at must be …" for each field error, in the API's words.
    static func errors(_ failure: ValidationFailure) -> [[String: String]] {
        failure.errors.map { ["field": $0.field.replacingOccurrences(of: "_", with: " ").capitalizedFirst, "detail": $0.detail] }
    }
}
