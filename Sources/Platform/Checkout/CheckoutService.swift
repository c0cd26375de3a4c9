import Crypto
import Foundation
import PluginKit

package struct CartLine: Sendable, Hashable {
    package let variantID: VariantID
    package let quantity: Int64
    package init(variantID: VariantID, quantity: Int64) {
        self.variantID = variantID
        self.quantity = quantity
    }
}

package struct CheckoutInput: Sendable {
    package var eventID: EventID
    package var lines: [CartLine]
    package var email: String
    package var name: String?
    package var provider: String
    package var successURL: String?
    package var cancelURL: String?

    package init(eventID: EventID, lines: [CartLine], email: String, name: String? = nil, provider: String,
                successURL: String? = nil, cancelURL: String? = nil) {
        self.eventID = eventID
        self.lines = lines
        self.email = email
        self.name = name
        self.provider = provider
        self.successURL = successURL
        self.cancelURL = cancelURL
    }
}

/// The Idempotency-Key a request came with, the scope it is unique in, and a hash of the request.
package struct IdempotentRequest: Sendable {
    package let scope: String
    package let key: String
    package let requestHash: String
    package init(scope: String, key: String, requestHash: String) {
        self.scope = scope
        self.key = key
        self.requestHash = requestHash
    }
}

package enum CheckoutOutcome: Sendable {
    /// A new order, and the answer stored for its Idempotency-Key.
    case placed(PlacedOrder, StoredResponse)
    /// The key was used before: its first answer, a request still running, or another request.
    case replay(StoredResponse)
    case inFlight
    case mismatch
}

package struct PlacedOrder: Sendable {
    package let order: Order
    package let checkoutURL: String
    /// Lets the buyer read the order; shown once, stored only as a hash.
    package let accessToken: String
}

/// Turns a cart into a pending order that holds its seats, then opens the provider's checkout.
/// Seats are taken with one conditional update per variant inside one transaction, so either all
/// lines get their seats or none do; the provider is called only after that commits.
package struct CheckoutService: Sendable {
    package static let maxLines = 20

    package let database: any Database
    package let clock: any WallClock
    let providers: PaymentProviders
    /// Ends an order whose checkout could not be opened, telling the observers like any other change.
    let payments: PaymentApplier
    let baseURL: String

    package init(database: any Database, clock: any WallClock, providers: PaymentProviders, payments: PaymentApplier, baseURL: String) {
        self.database = database
        self.clock = clock
        self.providers = providers
        self.payments = payments
        self.baseURL = baseURL
    }


    /// Places an order without an Idempotency-Key (seeding, benchmarks).
    package func place(_ input: CheckoutInput) async throws -> PlacedOrder {
        let outcome = try await place(input, idempotency: nil) { _ in StoredResponse(status: 201, body: "") }
        guard case let .placed(placed, _) = outcome else { throw PlatformError.conflict("unexpected idempotent answer") }
        return placed
    }

    /// Places an order. The key is claimed in the transaction that takes the seats, and the answer
    /// (`render`) is stored in the one that records the checkout session: two transactions an order.
    package func place(_ input: CheckoutInput, idempotency: IdempotentRequest?,
                      render: @Sendable (PlacedOrder) throws -> StoredResponse) async throws -> CheckoutOutcome {
        var check = Validator()
        check.check(!input.lines.isEmpty, "lines", "must hold at least one line")
        check.check(input.lines.count <= Self.maxLines, "lines", "must hold at most \(Self.maxLines) lines")
        check.check(Set(input.lines.map(\.variantID)).count == input.lines.count, "lines", "must name each variant once")
        for (index, line) in input.lines.enumerated() where line.quantity < 1 || line.quantity > 1000 {
            check.fail("lines[\(index)].quantity", "must be between 1 and 1000")
        }
        check.check(TextRules.isEmail(input.email), "email", "must be an email address")
        if let name = input.name { check.check(TextRules.isPresent(name, max: 200), "name", "must be 1 to 200 characters") }
        let provider = providers.provider(input.provider)
        check.check(provider != nil, "provider", "must be one of: \(providers.ids.joined(separator: ", "))")
        try check.throwIfFailed()
        guard let provider else { throw PlatformError.notFound("payment provider") }

        let now = clock.now()
        let orderID = OrderID.generate(at: now)
        let token = SecretToken.make(marker: "ord_tok_")
        enum Reserved: Sendable {
            case earlier(IdempotencyClaim)
            case order(Order, Event, [VariantID: TicketVariant])
        }
        let reserved: Reserved = try await database.transaction { sql in
            if let idempotency {
                let claim = try await IdempotencyRepository(sql).claim(
                    scope: idempotency.scope, key: idempotency.key, requestHash: idempotency.requestHash, now: now,
                    retention: IdempotencyRepository.retention)
                guard claim == .claimed else { return .earlier(claim) }
            }
            guard let event = try await EventRepository(sql).findLive(input.eventID) else { throw PlatformError.notFound("event") }
            try checkRedirect(input.successURL, field: "success_url", event: event)
            try checkRedirect(input.cancelURL, field: "cancel_url", event: event)
            let variants = Dictionary(uniqueKeysWithValues: try await VariantRepository(sql).list(event: event.id).map { ($0.id, $0) })
            var lines: [OrderLine] = []
            var total = Money.zero(event.currency)
            var problems = Validator()
            for (index, line) in input.lines.enumerated() {
                guard let variant = variants[line.variantID], variant.status.isPublic else {
                    problems.fail("lines[\(index)].variant_id", "is not a ticket of this event")
                    continue
                }
                guard variant.status == .live, variant.salesStart.map({ now >= $0 }) ?? true, variant.salesEnd.map({ now < $0 }) ?? true else {
                    problems.fail("lines[\(index)].variant_id", "\(variant.name) is not on sale now")
                    continue
                }
                if let limit = variant.maxPerOrder, line.quantity > limit {
                    problems.fail("lines[\(index)].quantity", "at most \(limit) \(variant.name) tickets per order")
                }
                do {
                    total = try total.adding(try Money(minorUnits: variant.price, currency: event.currency).multiplied(by: line.quantity))
                } catch {
                    problems.fail("lines[\(index)].quantity", "makes the order total too large")
                }
                lines.append(OrderLine(variantID: variant.id, quantity: line.quantity, unitPrice: variant.price))
            }
            try problems.throwIfFailed()
            // Variants in a fixed order, so two carts never wait on each other's rows in opposite orders.
            let inventory = InventoryRepository(sql)
            for line in lines.sorted(by: { $0.variantID < $1.variantID }) {
                guard try await inventory.reserve(line.variantID, line.quantity) else {
                    let name = variants[line.variantID]?.name ?? "this ticket"
                    throw PlatformError.conflict("not enough \(name) tickets left for \(line.quantity)")
                }
            }
            let minutes = Int64(max(event.reservationMinutes, provider.minimumCheckoutMinutes))
            let order = Order(
                id: orderID, organizerID: event.organizerID, eventID: event.id, status: .pending, seats: .held, email: input.email,
                buyerName: input.name, total: total, refunded: 0, provider: provider.id, providerSession: nil, providerPayment: nil,
                checkoutURL: nil, reviewReason: nil, disputeReason: nil, expiresAt: now.adding(minutes: minutes), paidAt: nil,
                createdAt: now, updatedAt: now, lines: lines)
            try await OrderRepository(sql).insert(order, accessTokenHash: SecretToken.hash(token))
            return .order(order, event, variants)
        }
        guard case .order(var order, let event, let variants) = reserved else {
            switch reserved {
            case .earlier(.replay(let stored)): return .replay(stored)
            case .earlier(.mismatch): return .mismatch
            default: return .inFlight
            }
        }
        let id = order.id

        let orderPage = "\(baseURL)/api/v1/public/orders/\(order.id)?token=\(token)"
        let request = CheckoutRequest(
            orderID: order.id, eventTitle: event.title,
            lines: order.lines.map { .init(name: variants[$0.variantID]?.name ?? "Ticket", unitPrice: $0.unitPrice, quantity: $0.quantity) },
            total: order.total, email: order.email, successURL: input.successURL ?? orderPage, cancelURL: input.cancelURL ?? orderPage,
            expiresAt: order.expiresAt, idempotencyKey: "checkout-\(order.id)")
        let session: CheckoutSession
        do {
            session = try await provider.createCheckout(request)
        } catch {
            // No checkout, no hold: the seats go back at once, and the key may be used again.
            let payments = self.payments
            _ = try? await database.transaction { sql in
                if let idempotency { try await IdempotencyRepository(sql).release(scope: idempotency.scope, key: idempotency.key) }
                return try await payments.apply(.failed(order: id, reason: "checkout"), provider: provider.id, on: sql)
            }
            throw error
        }
        order.providerSession = session.id
        order.checkoutURL = session.url
        let placedOrder = PlacedOrder(order: order, checkoutURL: session.url, accessToken: token)
        let response = try render(placedOrder)
        try await database.transaction { sql in
            try await OrderRepository(sql).setCheckout(id, session: session.id, url: session.url, at: clock.now())
            if let idempotency { try await IdempotencyRepository(sql).complete(scope: idempotency.scope, key: idempotency.key, response: response) }
        }
        return .placed(placedOrder, response)
    }

    /// Buyers may only be sent back to the event's allowlisted origins or to this platform.
    private func checkRedirect(_ url: String?, field: String, event: Event) throws {
        guard let url else { return }
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host,
              scheme == "https" || scheme == "http" else {
            throw PlatformError.invalid(field: field, detail: "must be an http(s) URL")
        }
        let origin = "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
        let allowed = event.redirectOrigins + [Self.origin(of: baseURL)].compactMap { $0 }
        guard allowed.contains(origin) else {
            throw PlatformError.invalid(field: field, detail: "\(origin) is not among the event's redirect_origins")
        }
    }

    static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return nil }
        return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }
}
