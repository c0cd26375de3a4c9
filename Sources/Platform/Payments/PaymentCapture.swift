import PluginKit

/// Takes approved payments of two-step providers (PayPal: approve, then capture). Both the
/// buyer's return from the provider's page and the provider's approval event come here, in
/// either order or at once: the provider captures each order once, and applying its answer
/// twice changes nothing the second time.
package struct PaymentCapture: Sendable {
    /// Seconds a reservation is kept, at least, from the start of a capture: more than a provider
    /// call with its retries takes (PayPal's: three attempts of at most 10 s).
    static let captureHold: Int64 = 300
    let database: any Database
    let clock: any WallClock
    let providers: PaymentProviders
    let payments: PaymentApplier
    let refunds: RefundService

    /// Asks the provider to capture `order` when it still waits for payment with its seats held
    /// and its reservation has not run out, keeping the reservation for `captureHold` meanwhile,
    /// and applies the answer, which it returns; nil when the order no longer waits (paid already,
    /// or its reservation ended: the approval lapses and the buyer is not charged).
    /// - Throws: `WebhookPayloadError` when the order is not this provider's or was checked out
    ///   with another session; `NotYetApplicable` before its checkout is recorded; the provider's
    ///   `ProviderError`.
    @discardableResult
    package func capture(provider id: String, order orderID: OrderID, session: String) async throws -> PaymentCommand? {
        guard let provider = providers.provider(id) else { throw WebhookPayloadError("no payment provider \(id)") }
        guard let order = try await database.read({ sql in try await OrderRepository(sql).find(orderID) }), order.provider == id else {
            throw WebhookPayloadError("no \(id) order \(orderID)")
        }
        guard let reference = order.providerSession else {
            throw NotYetApplicable(description: "order \(orderID) has no \(id) checkout recorded yet")
        }
        guard reference == session else { throw WebhookPayloadError("order \(orderID) was not checked out with \(id) session \(session)") }
        guard order.status == .pending, order.seats == .held else { return nil }
        // The reservation is kept while the provider is asked, so the order cannot expire under a
        // capture in flight; one that has run out is not captured. A capture that took nothing
        // gives the reservation its end back: asking again and again must not hold seats for ever.
        let now = clock.now()
        let held = max(order.expiresAt, now.adding(seconds: Self.captureHold))
        guard try await database.transaction({ sql in
            try await OrderRepository(sql).holdForCapture(order.id, until: held, now: now)
        }) else { return nil }
        let release: @Sendable () async -> Void = { [database, clock] in
            guard held > order.expiresAt else { return }
            _ = try? await database.transaction { sql in
                try await OrderRepository(sql).releaseCaptureHold(order.id, held: held, back: order.expiresAt, now: clock.now())
            }
        }
        let command: PaymentCommand
        do {
            command = try await provider.capture(CaptureRequest(orderID: order.id, sessionReference: reference,
                                                                amount: Money(minorUnits: order.providerDue, currency: order.total.currency)))
        } catch {
            await release()
            throw error
        }
        if command == .acknowledge { await release() }
        let payments = self.payments
        let outcome = try await database.transaction { sql in try await payments.apply(command, provider: id, on: sql) }
        if case let .strayRefundRequired(order, amount, reference) = outcome {
            await refunds.refundStray(order, amount: amount, reference: reference, reason: "automatic: \(id) took a second payment \(reference)")
        }
        if case let .refundRequired(order, amount) = outcome {
            await refunds.refundAutomatically(order, amount: amount, reason: "automatic: the \(id) capture could not be honoured")
        }
        return command
    }
}
