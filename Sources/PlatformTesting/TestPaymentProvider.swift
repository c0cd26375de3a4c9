import Foundation
import HTTPTypes
import Hummingbird
import Platform
import Synchronization

/// A payment provider for kernel tests: it can be made to fail or stall, records what it was asked,
/// and signs webhooks the way a real provider does (`Test-Signature`, the timestamped HMAC scheme).
package final class TestPaymentProvider: PaymentProvider {
    package static let signatureHeader = HTTPField.Name("Test-Signature")!
    package let id = "test"
    package let secret = "whsec_test_provider_secret"
    package let minimumCheckoutMinutes: Int
    package let refundCapabilities: RefundCapabilities

    struct State {
        var failure: ProviderError?
        var delay: Duration?
        var checkouts: [CheckoutRequest] = []
        var refunds: [RefundRequest] = []
        /// Every payout asked for, repeats included, and each payout id's first answer.
        var payoutCalls: [PayoutInstruction] = []
        var payoutAnswers: [String: PayoutDispatch] = [:]
        var payoutAnswer: @Sendable (PayoutInstruction) -> PayoutDispatch = { .accepted(reference: "test_tr_\($0.payoutID)", settled: false) }
        var beforePayoutAnswer: @Sendable ([PayoutInstruction]) async throws -> Void = { _ in }
        /// Payouts go in multiples of this (minor units), as PayPal sends forints whole.
        var payoutStep: Int64 = 1
        var extraHandlers: [String: WebhookHandler] = [:]
    }
    private let state = Mutex(State())
    private let installed = Mutex<(any PaymentHost)?>(nil)

    package init(minimumCheckoutMinutes: Int = 0, refundCapabilities: RefundCapabilities = .partial) {
        self.minimumCheckoutMinutes = minimumCheckoutMinutes
        self.refundCapabilities = refundCapabilities
    }

    /// Every following call fails with this error (nil: succeed again).
    package func fail(with error: ProviderError?) { state.withLock { $0.failure = error } }
    package func stall(for delay: Duration?) { state.withLock { $0.delay = delay } }
    package var checkouts: [CheckoutRequest] { state.withLock { $0.checkouts } }
    package var refunds: [RefundRequest] { state.withLock { $0.refunds } }
    package var payoutCalls: [PayoutInstruction] { state.withLock { $0.payoutCalls } }
    /// How the provider answers each new payout id from now on.
    package func answerPayouts(_ answer: @escaping @Sendable (PayoutInstruction) -> PayoutDispatch) { state.withLock { $0.payoutAnswer = answer } }
    /// Payouts from now on in multiples of `step` minor units (the rest stays available).
    package func payOutInSteps(of step: Int64) { state.withLock { $0.payoutStep = step } }
    /// Events of `type` are handled by `handler` from now on (a test's own event type).
    package func handle(_ type: String, with handler: @escaping WebhookHandler) { state.withLock { $0.extraHandlers[type] = handler } }
    /// Runs after the provider took a batch and before it answers (its events may come first).
    package func beforePayoutAnswer(_ hook: @escaping @Sendable ([PayoutInstruction]) async throws -> Void) {
        state.withLock { $0.beforePayoutAnswer = hook }
    }

    fileprivate func call() async throws {
        let (failure, delay) = state.withLock { ($0.failure, $0.delay) }
        if let delay { try await Task.sleep(for: delay) }
        if let failure { throw failure }
    }

    /// The kernel's host, once the router installed the provider.
    package var host: (any PaymentHost)? { installed.withLock { $0 } }
    package func install(routes: any PluginRoutes, host: any PaymentHost) { installed.withLock { $0 = host } }

    package func createCheckout(_ request: CheckoutRequest) async throws -> CheckoutSession {
        try await call()
        state.withLock { $0.checkouts.append(request) }
        return CheckoutSession(id: "test_cs_\(request.orderID)", url: "https://pay.test.example/\(request.orderID)")
    }

    package func refund(_ request: RefundRequest) async throws -> RefundResult {
        try await call()
        state.withLock { $0.refunds.append(request) }
        return RefundResult(reference: "test_re_\(request.refundID)")
    }

    package func verifyWebhook(body: ByteBuffer, headers: HTTPFields, now: Timestamp) async throws -> WebhookEnvelope {
        guard let header = headers[Self.signatureHeader] else { throw WebhookRejected("missing Test-Signature") }
        let bytes = Data(buffer: body)
        try TimestampedSignature.verify(header: header, body: bytes, secrets: [secret], now: now)
        guard let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any],
              let id = object["id"] as? String, let type = object["type"] as? String else { throw WebhookRejected("not a test event") }
        return WebhookEnvelope(eventID: id, eventType: type, payload: String(decoding: bytes, as: UTF8.self))
    }

    struct Event: Decodable {
        let order: String
        let amount: Int64?
        let currency: String?
        let reference: String?
    }

    /// A test dispute: its id is the event's `reference` (else `dp_1`), its amount the event's.
    static func dispute(_ event: Event) -> ProviderDispute {
        ProviderDispute(id: event.reference ?? "dp_1", amount: event.amount ?? 0, currency: event.currency ?? "", reason: "fraudulent")
    }

    static func event(_ envelope: WebhookEnvelope) throws -> (OrderID, Event) {
        guard let event = try? JSONDecoder().decode(Event.self, from: Data(envelope.payload.utf8)),
              let order = OrderID(event.order) else { throw WebhookPayloadError("test event without an order") }
        return (order, event)
    }

    package var webhookHandlers: [String: WebhookHandler] {
        let own: [String: WebhookHandler] = [
            "paid": { envelope in
                let (order, event) = try Self.event(envelope)
                return .paid(order: order, amount: event.amount ?? 0, currency: event.currency ?? "", paymentReference: event.reference ?? "pay")
            },
            "failed": { .failed(order: try Self.event($0).0, reason: "test") },
            "expired": { .expired(order: try Self.event($0).0) },
            "cancelled": { .cancelled(order: try Self.event($0).0) },
            "refunded": { envelope in
                let (order, event) = try Self.event(envelope)
                return .refunded(order: order, totalRefunded: event.amount ?? 0, currency: event.currency ?? "", refundReference: event.reference)
            },
            // A refund naming the payment (`reference`) rather than the order, as Stripe's charge.refunded does.
            "payment_refunded": { envelope in
                let (_, event) = try Self.event(envelope)
                return .refundedPayment(paymentReference: event.reference ?? "pay", totalRefunded: event.amount ?? 0, currency: event.currency ?? "",
                                        refundReference: nil)
            },
            "disputed": { envelope in
                let (order, event) = try Self.event(envelope)
                return .disputed(order: order, dispute: Self.dispute(event))
            },
            "dispute_won": { envelope in
                let (order, event) = try Self.event(envelope)
                return .disputeClosed(order: order, dispute: Self.dispute(event), outcome: .won)
            },
            "dispute_lost": { envelope in
                let (order, event) = try Self.event(envelope)
                return .disputeClosed(order: order, dispute: Self.dispute(event), outcome: .lost)
            },
            "noop": { _ in .acknowledge },
        ]
        return own.merging(state.withLock(\.extraHandlers)) { _, extra in extra }
    }

    /// A signed delivery of `type` for `order`, as the provider would send it.
    package func delivery(id: String, type: String, order: String, amount: Int64? = nil, currency: String? = "EUR",
                         reference: String? = nil, at time: Timestamp, secret: String? = nil) -> (body: ByteBuffer, headers: HTTPFields) {
        var object: [String: Any] = ["id": id, "type": type, "order": order]
        if let amount { object["amount"] = amount }
        if let currency { object["currency"] = currency }
        if let reference { object["reference"] = reference }
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        let header = TimestampedSignature.header(body: body, secret: secret ?? self.secret, timestamp: time.milliseconds / 1000)
        return (ByteBuffer(bytes: body), [Self.signatureHeader: header, .contentType: "application/json"])
    }
}

/// Payouts: each new payout id is answered by `answerPayouts` (accepted, unsettled, by default);
/// a repeated id gets its first answer again. Settlement events name the payout in `order`:
/// `payout_paid`, `payout_failed`, `payout_returned`.
extension TestPaymentProvider: PayoutProvider {
    package var maximumPayoutBatch: Int { 50 }

    package func payable(_ amount: Money) -> Money {
        let step = state.withLock { $0.payoutStep }
        return Money(minorUnits: amount.minorUnits / step * step, currency: amount.currency)
    }

    package func validate(account: String) throws -> String {
        guard account.hasPrefix("test_acct_") else { throw PayoutAccountInvalid("must start with test_acct_") }
        return account
    }

    package func send(payouts: [PayoutInstruction]) async throws -> [String: PayoutDispatch] {
        try await call()
        let answers = state.withLock { state in
            state.payoutCalls += payouts
            var answers: [String: PayoutDispatch] = [:]
            for payout in payouts {
                let answer = state.payoutAnswers[payout.payoutID] ?? state.payoutAnswer(payout)
                state.payoutAnswers[payout.payoutID] = answer
                answers[payout.payoutID] = answer
            }
            return answers
        }
        try await state.withLock { $0.beforePayoutAnswer }(payouts)
        return answers
    }

    package var payoutWebhookHandlers: [String: WebhookHandler] {
        @Sendable func payout(_ envelope: WebhookEnvelope) throws -> String {
            guard let object = try? JSONSerialization.jsonObject(with: Data(envelope.payload.utf8)) as? [String: Any],
                  let id = object["order"] as? String else { throw WebhookPayloadError("test payout event without a payout") }
            return id
        }
        return [
            "payout_paid": { .payoutSettled(payout: try payout($0), reference: nil) },
            "payout_failed": { .payoutFailed(payout: try payout($0), reason: "the bank refused it") },
            "payout_returned": { .payoutReturned(payout: try payout($0), reason: "the account was closed") },
        ]
    }
}
