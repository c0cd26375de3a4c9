import PluginKit

/// What an event's shop page shows (`templates/web/event.mustache`): the event in its own time
/// zone, each public variant with its price, availability, sale window and a quantity picker up to
/// what one order may take, and the payment methods enabled.
struct EventPageModel {
    /// The most a picker offers for a variant without its own per-order limit.
    static let defaultPickerLimit: Int64 = 20

    let organizer: Organizer
    let event: Event
    let variants: [TicketVariant]
    let providers: [any PaymentProvider]
    /// The signed-in buyer's credit in the event's currency, when there is some to spend.
    var credit: WalletBalance? = nil
    let now: Timestamp

    /// - Parameters:
    ///   - typed: the form as the buyer sent it, shown again.
    ///   - problem: what went wrong, above the form.
    ///   - errors: the API's field errors (`email`, `lines[2].quantity`, ...), each shown beside its field.
    func render(typed: OrderForm, problem: (title: String, detail: String)?, errors: [FieldError]) -> [String: Any] {
        var lineErrors: [String: [String]] = [:], otherLineErrors: [String] = [], fieldErrors: [String: String] = [:]
        let lineKeys = typed.lines.map(\.variantID.rawValue)
        for error in errors {
            if let index = Self.lineIndex(error.field), index < lineKeys.count, variants.contains(where: { $0.id.rawValue == lineKeys[index] }) {
                lineErrors[lineKeys[index], default: []].append(error.detail.capitalizedFirst + ".")
            } else if error.field.hasPrefix("lines") {
                otherLineErrors.append(error.field == "lines" && typed.lines.isEmpty ? "Choose at least one ticket." : "Tickets: \(error.detail).")
            } else {
                fieldErrors[error.field] = fieldErrors[error.field] ?? error.detail
            }
        }
        let needsProvider = variants.contains { $0.price > 0 }
        var model: [String: Any] = [
            "title": event.title, "event_title": event.title, "event_id": event.id.rawValue, "organizer": organizer.name,
            "starts_at": LocalTime.text(event.startsAt, timezone: event.timezone),
            "starts_at_iso": LocalTime.rfc3339(event.startsAt, timezone: event.timezone),
            "ends_at": event.endsAt.map { LocalTime.text($0, timezone: event.timezone) } as Any,
            "venue": event.venue as Any, "reservation_minutes": event.reservationMinutes,
            "has_variants": !variants.isEmpty, "needs_provider": needsProvider,
            "variants": variants.map { variant(of: $0, typed: typed.quantities[$0.id.rawValue], errors: lineErrors[$0.id.rawValue]) },
            "lines_error": otherLineErrors.isEmpty ? false : otherLineErrors.joined(separator: " "),
            "email": typed.email, "name": typed.name, "idempotency_key": typed.key ?? "",
            "email_error": fieldErrors["email"] ?? false, "name_error": fieldErrors["name"] ?? false,
            "provider_error": fieldErrors["provider"].map(Self.providerMessage) ?? false,
            "providers": providers.map { provider in
                ["provider_id": provider.id, "provider_name": provider.displayName,
                 "checked": typed.provider == provider.id || (typed.provider.isEmpty && providers.count == 1)] as [String: Any]
            },
            "script": "event.js",
        ]
        if let credit {
            model["credit"] = ["credit_available": Money(minorUnits: credit.available, currency: credit.currency).description,
                               "credit_checked": typed.useCredit || !typed.submitted] as [String: Any]
        }
        if let problem {
            model["problem"] = true
            model["problem_title"] = problem.title
            model["problem_detail"] = problem.detail
        }
        return model
    }

    private func variant(of variant: TicketVariant, typed: String?, errors: [String]?) -> [String: Any] {
        let onSale = variant.isOnSale(at: now)
        let cap = min(variant.maxPerOrder ?? Self.defaultPickerLimit, variant.available)
        let chosen = Int64(typed ?? "") ?? 0
        let price = variant.price == 0 ? "Free" : Money(minorUnits: variant.price, currency: event.currency).description
        return [
            "variant_id": variant.id.rawValue, "variant_name": variant.name, "price": price,
            "availability": availability(variant), "on_sale": onSale,
            "window": variant.salesEnd.flatMap { onSale ? "sales end \(LocalTime.text($0, timezone: event.timezone))" : nil } ?? false,
            "limit": variant.maxPerOrder.map { $0 as Any } ?? false,
            "options": onSale ? (0...max(cap, 0)).map { ["value": $0, "selected": $0 == min(chosen, cap)] as [String: Any] } : [],
            "line_error": errors?.joined(separator: " ") ?? false,
        ]
    }

    private func availability(_ variant: TicketVariant) -> String {
        if variant.status == .soldOut || variant.available == 0 { return "Sold out" }
        if let start = variant.salesStart, now < start { return "On sale from \(LocalTime.text(start, timezone: event.timezone))" }
        if let end = variant.salesEnd, now >= end { return "Sales have ended" }
        return "\(variant.available) available"
    }

    /// `lines[3].quantity` is line 3.
    static func lineIndex(_ field: String) -> Int? {
        guard field.hasPrefix("lines["), let close = field.firstIndex(of: "]") else { return nil }
        return Int(field[field.index(field.startIndex, offsetBy: 6)..<close])
    }

    static func providerMessage(_ detail: String) -> String {
        detail.hasPrefix("is required") || detail.hasPrefix("must be one of") ? "Choose how to pay." : detail.capitalizedFirst + "."
    }
}
