import Crypto
import Foundation
import Hummingbird
import PluginKit

/// The buyer's shop: an event's page (`/e/{event id}`, also at `/e/{organizer slug}/{event id or slug}`)
/// and the order its form places through the same `Checkout` as `POST /api/v1/public/events/{id}/orders`.
/// A form that fails shows the API's messages beside the fields and keeps what was typed.
package struct ShopPages {
    let site: WebSite
    let catalog: Catalog
    let checkout: Checkout
    let orders: Orders
    let providers: PaymentProviders
    /// The signed-in buyer's credit, offered on the form.
    let wallets: Wallets
    let limiter: RateLimiter
    let trustForwardedFor: Bool

    func register(_ web: WebRoutes) {
        // One name for the first segment: the router needs it, and it is an event id or an organizer's slug.
        web.on(.get, "e/{ref}") { request, context in
            try await show(request, id: context.parameters.get("ref"), organizerSlug: nil)
        }
        web.on(.get, "e/{ref}/{event}") { request, context in
            let (organizer, event) = (context.parameters.get("ref") ?? "", context.parameters.get("event") ?? "")
            // The event's id, or its own slug within the organizer.
            if EventID(event) == nil {
                guard let shown = try? await catalog.shopEvent(organizerSlug: organizer, eventSlug: event) else {
                    return try site.notFound("This event is not on sale. Check the address, or ask its organizer for the link.")
                }
                return try await form(shown, request: request, typed: OrderForm(key: Self.newKey()))
            }
            return try await show(request, id: event, organizerSlug: organizer)
        }
        web.on(.post, "e/{ref}/orders", use: place)
    }

    private func show(_ request: Request, id: String?, organizerSlug: String?) async throws -> Response {
        guard let id = id.flatMap(EventID.init), let shown = try await load(id, organizerSlug: organizerSlug) else {
            return try site.notFound("This event is not on sale. Check the address, or ask its organizer for the link.")
        }
        return try await form(shown, request: request, typed: OrderForm(key: Self.newKey()))
    }

    @Sendable func place(_ request: Request, context: AppRequestContext) async throws -> Response {
        let submitted = try await WebForm.read(request, limit: site.maxBodyBytes)
        guard let id = context.parameters.get("ref").flatMap(EventID.init), let shown = try await load(id, organizerSlug: nil) else {
            return try site.notFound("This event is not on sale any more.")
        }
        var typed = OrderForm(submitted)
        guard submitted.hasValidCSRF(request), let pageKey = typed.key else {
            typed.key = Self.newKey()
            return try await form(shown, request: request, typed: typed, status: .forbidden,
                            problem: ("This form expired.", "Please check it and send it again."))
        }
        do {
            try limiter.enforce(request.clientAddress(context, trustForwardedFor: trustForwardedFor), counting: "orders", per: "one client")
            var input = typed.input(eventID: id)
            // The form comes with its CSRF value, so the session cookie may spend the buyer's credit.
            if typed.useCredit { input.walletEmail = try await site.buyerSession(request)?.email }
            let hash = typed.requestHash
            // One order per form and content: a reload or a second click replays it, a changed form is another order.
            let idempotency = IdempotentRequest(scope: "checkout-page:\(id)", key: pageKey + "." + hash.prefix(16), requestHash: hash)
            let answer = try await placeOnce(input, idempotency: idempotency)
            return try await next(after: answer)
        } catch {
            let problem = Problem.from(error, maxBodyBytes: site.maxBodyBytes, logger: context.logger)
            // The form the buyer corrects is a new request: it gets a new key.
            typed.key = Self.newKey()
            return try await form(try await load(id, organizerSlug: nil) ?? shown, request: request, typed: typed,
                            status: problem.status, problem: Self.explain(problem), errors: problem.errors)
        }
    }

    /// Places the order, or waits for the same form's first request (a double click) to finish
    /// and answers as it did.
    private func placeOnce(_ input: CheckoutInput, idempotency: IdempotentRequest) async throws -> IdempotentAnswer {
        for _ in 0..<100 {
            do {
                return try await checkout.place(input, idempotency: idempotency)
            } catch IdempotencyConflict.inFlight {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        throw IdempotencyConflict.inFlight
    }

    /// Where the buyer goes once the order is placed: the provider's checkout, or the order's page
    /// (free orders; an order placed earlier that no longer waits for payment).
    private func next(after answer: IdempotentAnswer) async throws -> Response {
        let placed = try answer.placedOrder()
        let page = Checkout.orderPagePath(placed.id, accessToken: placed.accessToken, pages: true)
        if answer.replayed {
            let order = try await orders.find(placed.id, accessToken: placed.accessToken)
            return PageRenderer.redirect(to: order.status == .pending ? order.payableCheckoutURL ?? page : page)
        }
        return PageRenderer.redirect(to: placed.checkoutURL ?? page)
    }

    private typealias Shown = (organizer: Organizer, event: Event, variants: [TicketVariant])

    private func load(_ id: EventID, organizerSlug: String?) async throws -> Shown? {
        do {
            return try await catalog.shopEvent(id, organizerSlug: organizerSlug)
        } catch PlatformError.notFound {
            return nil
        }
    }

    private func form(_ shown: Shown, request: Request, typed: OrderForm, status: HTTPResponse.Status = .ok,
                      problem: (title: String, detail: String)? = nil, errors: [FieldError] = []) async throws -> Response {
        // Credit is offered to a signed-in buyer who has some in the event's currency; it is no provider to pick.
        var credit: WalletBalance?
        if providers.provider(Checkout.creditProvider) != nil, let session = try await site.buyerSession(request) {
            credit = try await wallets.balance(email: session.email, currency: shown.event.currency).flatMap { $0.spendable > 0 ? $0 : nil }
        }
        let model = EventPageModel(organizer: shown.organizer, event: shown.event, variants: shown.variants,
                                   providers: providers.all.filter { $0.id != Checkout.creditProvider }, credit: credit, now: catalog.clock.now())
        return try site.formPage("event", model.render(typed: typed, problem: problem, errors: errors), request: request, status: status)
    }

    package static func newKey() -> String { SecretToken.make(marker: "") }

    /// What the page says above the form for each kind of problem; field errors go beside their fields.
    static func explain(_ problem: Problem) -> (title: String, detail: String) {
        switch (problem.kind, Int(problem.status.code)) {
        case ("validation", _): ("Please check the form.", "")
        case ("not-found", _): ("This event is not on sale any more.", "")
        case ("conflict", _): ("Sold out.", problem.detail.capitalizedFirst + ". Choose fewer tickets or another kind.")
        case ("rate-limited", _): ("Too many orders from your connection.", "Please wait a minute and try again.")
        case (let kind, _) where kind.hasPrefix("provider-") || kind == "payment-declined":
            ("The payment provider is not available right now.",
             "Nothing was reserved and nothing was charged. Please try again in a minute, or choose another way to pay.")
        case ("idempotency-in-flight", _): ("Your order is still being placed.", "Please wait a moment and reload this page.")
        case (_, 500...): ("Something went wrong on our side.", "Nothing was charged. Please try again.")
        default: (problem.title + ".", problem.detail.capitalizedFirst + ".")
        }
    }
}

/// What a buyer typed into an event's order form (`quantity.{variant id}`, `email`, `name`, `provider`,
/// and the page's own `idempotency_key`), kept to show it again.
package struct OrderForm {
    package var key: String?
    package var quantities: [String: String] = [:]
    package var email = ""
    package var name = ""
    package var provider = ""
    /// Whether the buyer chose to pay with the credit of their signed-in wallet first.
    package var useCredit = false
    /// False for a new form, true for one a buyer sent.
    package var submitted = false

    package init(key: String) { self.key = key }

    package init(_ form: WebForm) {
        let key = form["idempotency_key"] ?? ""
        self.key = (16...64).contains(key.count) && key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) ? key : nil
        for (name, value) in form.fields where name.hasPrefix("quantity.") {
            quantities[String(name.dropFirst("quantity.".count))] = value.trimmingCharacters(in: .whitespaces)
        }
        email = (form["email"] ?? "").trimmingCharacters(in: .whitespaces)
        name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces)
        provider = form["provider"] ?? ""
        useCredit = form["use_credit"] == "all"
        submitted = true
    }

    /// The lines with a quantity other than 0, in variant order. A quantity that is not a number
    /// goes to the cart as 0, which it refuses with the API's message.
    package var lines: [CartLine] {
        quantities.sorted { $0.key < $1.key }.compactMap { variant, text in
            guard text != "0", !text.isEmpty else { return nil }
            let id = VariantID(variant) ?? VariantID.generate(at: Timestamp(milliseconds: 0))
            return CartLine(variantID: id, quantity: Int64(text) ?? 0)
        }
    }

    package func input(eventID: EventID) -> CheckoutInput {
        var input = CheckoutInput(eventID: eventID, lines: lines, email: email, name: name.isEmpty ? nil : name,
                                  provider: provider.isEmpty ? nil : provider)
        if useCredit { input.creditUse = .all }
        return input
    }

    /// The order the form asks for, whatever order its fields came in.
    package var requestHash: String {
        let parts = lines.map { "\($0.variantID)=\($0.quantity)" } + [email, name, provider] + (useCredit ? ["use_credit=all"] : [])
        let json = (try? JSONEncoder().encode(parts)) ?? Data()
        return SHA256.hash(data: json).hexString
    }
}
