import Foundation
import PluginKit

/// What a buyer sends to buy a credit pack.
package struct PackPurchaseInput: Sendable {
    package var pack: CreditPackID
    /// The address whose wallet receives the credit once the purchase is paid.
    package var email: String
    package var provider: String?

    package init(pack: CreditPackID, email: String, provider: String?) {
        self.pack = pack
        self.email = email
        self.provider = provider
    }
}

extension Checkout {
    /// Where a pack's buyer comes back to from the provider: the purchase's page (`CreditPages`).
    package static func packPurchasePath(_ order: OrderID, accessToken: String) -> String {
        "/credit/orders/\(order)?token=" + URLForm.escape(accessToken)
    }

    private enum Reserved: Sendable {
        case earlier(IdempotentAnswer)
        case reserved(Order, CheckoutRequest)
    }

    /// Buys a credit pack: an order of the platform (no event's seats, no lines) that its provider
    /// takes payment for as for tickets; its credit reaches the wallet of `email` when the provider's
    /// payment event is applied, once however often it arrives. Answers as an order placement.
    /// - Throws: `IdempotencyConflict`, `ValidationFailure` (422: email, provider, or an amount the
    ///   provider refuses), `PlatformError.notFound` (no pack on sale), `ProviderError`.
    package func buy(_ input: PackPurchaseInput, idempotency: IdempotentRequest) async throws -> IdempotentAnswer {
        var check = Validator()
        check.check(TextRules.isEmail(input.email), "email", "must be an email address")
        let provider = input.provider.flatMap { providers.provider($0) }
        let choices = providers.ids.filter { $0 != Self.creditProvider }
        check.check(provider != nil && provider?.id != Self.creditProvider, "provider", "must be one of: \(choices.joined(separator: ", "))")
        try check.throwIfFailed()
        guard let provider else { throw ValidationFailure(field: "provider", "must be one of: \(choices.joined(separator: ", "))") }
        let accessToken = SecretToken.make(marker: "ord_tok_")
        let (keys, now, payments, baseURL, pages) = (self.keys, clock.now(), self.payments, self.baseURL, self.buyerPages)
        let reserved: Reserved = try await database.transaction { sql in
            if let earlier = try await keys.claim(idempotency, at: now, on: sql) { return .earlier(earlier) }
            guard let pack = try await CreditPackRepository(sql).find(input.pack), pack.active else { throw PlatformError.notFound("credit pack") }
            if let reason = provider.refusal(of: pack.price, unitPrices: [pack.price]) { throw ValidationFailure(field: "provider", reason) }
            var order = Order(
                id: .generate(at: now), organizerID: Organizer.platformID, eventID: Organizer.creditShopEventID, status: .pending, seats: .held,
                email: input.email, buyerName: nil, total: pack.price, refunded: 0, provider: provider.id, providerSession: nil, providerPayment: nil,
                checkoutURL: nil, reviewReason: nil, disputeReason: nil, expiresAt: now.adding(minutes: Int64(max(30, provider.minimumCheckoutMinutes))),
                paidAt: nil, createdAt: now, updatedAt: now, lines: [])
            order.creditPackID = pack.id
            try await payments.observers.handle(.placed(order), at: now, on: sql)
            try await OrderRepository(sql).insert(order, accessTokenHash: SecretToken.hash(accessToken))
            let orderPage = baseURL + (pages ? Self.packPurchasePath(order.id, accessToken: accessToken)
                                                : Self.orderPagePath(order.id, accessToken: accessToken, pages: false))
            return .reserved(order, CheckoutRequest(
                orderID: order.id, eventTitle: "Credit", lines: [.init(name: pack.name, unitPrice: pack.price.minorUnits, quantity: 1)],
                total: pack.price, email: order.email, successURL: orderPage, cancelURL: orderPage, expiresAt: order.expiresAt,
                idempotencyKey: "checkout-\(order.id)"))
        }
        guard case let .reserved(order, request) = reserved else {
            guard case let .earlier(answer) = reserved else { throw PlatformError.conflict("unexpected reservation") }
            return answer
        }
        let session = try await openCheckout(request, of: order, with: provider, idempotency: idempotency)
        switch try await complete(order, session: session, accessToken: accessToken, idempotency: idempotency) {
        case let .placed(_, answer), let .earlier(answer): return answer
        }
    }
}
