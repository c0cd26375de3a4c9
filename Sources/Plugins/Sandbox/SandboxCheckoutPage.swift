import Foundation
import Hummingbird
import Platform

/// The page a buyer lands on at checkout, and the three buttons' actions.
struct SandboxCheckoutPage {
    let provider: SandboxProvider

    enum Action: String, CaseIterable {
        case pay, decline, cancel

        var eventType: String {
            switch self {
            case .pay: "payment.succeeded"
            case .decline: "payment.failed"
            case .cancel: "checkout.cancelled"
            }
        }
    }

    func register(on router: Router<AppRequestContext>) {
        router.get("sandbox/checkout/{session}") { _, context in try await page(context) }
        router.post("sandbox/checkout/{session}/{action}") { _, context in try await act(context) }
    }

    private func session(_ context: AppRequestContext) throws -> (String, SandboxSession) {
        guard let token = context.parameters.get("session"), let session = SandboxSession.open(token, secret: provider.secret) else {
            throw Problem.notFound("sandbox checkout")
        }
        return (token, session)
    }

    func page(_ context: AppRequestContext) async throws -> Response {
        let (token, session) = try session(context)
        let expired = provider.host.get().map { $0.clock.now().milliseconds >= session.expiresAt } ?? false
        let amount = Currency(code: session.currency).map { Money(minorUnits: session.amount, currency: $0).description }
            ?? "\(session.amount) \(session.currency)"
        let buttons = expired ? "<p>This checkout has expired.</p>" : Action.allCases.map { action in
            "<form method=\"post\" action=\"/sandbox/checkout/\(token)/\(action.rawValue)\"><button name=\"go\" value=\"1\">\(action.rawValue.capitalized)</button></form>"
        }.joined()
        let html = """
            <!doctype html><html><head><meta charset="utf-8"><title>Sandbox checkout</title>
            <style>body{font-family:sans-serif;max-width:32rem;margin:3rem auto}form{display:inline;margin-right:1rem}
            button{font-size:1.1rem;padding:.5rem 1.5rem}</style></head><body>
            <h1>Sandbox checkout</h1><p>No real money moves here.</p>
            <p><strong>\(escape(session.title))</strong></p><p>Order \(escape(session.orderID)): <strong>\(escape(amount))</strong></p>
            \(buttons)</body></html>
            """
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func act(_ context: AppRequestContext) async throws -> Response {
        let (token, session) = try session(context)
        guard let action = context.parameters.get("action").flatMap(Action.init(rawValue:)) else { throw Problem.notFound("sandbox action") }
        if let host = provider.host.get(), host.clock.now().milliseconds >= session.expiresAt {
            throw Problem(.gone, kind: "checkout-expired", title: "Checkout expired", detail: "this sandbox checkout has expired")
        }
        // One event id per session and action: pressing Pay twice delivers the same event twice.
        let eventID = "sbx_evt_\(action.rawValue)_" + String(token.suffix(24))
        try await provider.deliver(SandboxEvent(
            id: eventID, type: action.eventType,
            data: .init(orderID: session.orderID, amount: session.amount, currency: session.currency,
                        paymentID: action == .pay ? "sbx_pay_" + String(token.suffix(24)) : nil, amountRefunded: nil, refundID: nil)))
        let target = action == .pay ? session.successURL : session.cancelURL
        return Response(status: .seeOther, headers: [.location: target])
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }
}
