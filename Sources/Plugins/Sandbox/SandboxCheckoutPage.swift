import Foundation
import PluginKit

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

    func register(on routes: any PluginRoutes) {
        routes.get("sandbox/checkout/{session}") { request in try await page(request) }
        routes.post("sandbox/checkout/{session}/{action}") { request in try await act(request) }
    }

    private func session(_ request: PageRequest) throws -> (String, SandboxSession) {
        guard let token = request.parameters["session"], let session = SandboxSession.open(token, secret: provider.secret) else {
            throw PageProblem.notFound("sandbox checkout")
        }
        return (token, session)
    }

    func page(_ request: PageRequest) async throws -> PageResponse {
        let (token, session) = try session(request)
        let expired = provider.host.get().map { $0.clock.now().milliseconds >= session.expiresAt } ?? false
        let amount = Currency(code: session.currency).map { Money(minorUnits: session.amount, currency: $0).description }
            ?? "\(session.amount) \(session.currency)"
        let buttons = expired ? "<p>This checkout has expired.</p>" : Action.allCases.map { action in
            "<form method=\"post\" action=\"/sandbox/checkout/\(token)/\(action.rawValue)\"><button name=\"go\" value=\"1\">\(action.rawValue.capitalized)</button></form>"
        }.joined()
        return .html("""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <link rel="icon" href="data:,"><title>Sandbox checkout</title>
            <style>body{font-family:sans-serif;max-width:32rem;margin:3rem auto}form{display:inline;margin-right:1rem}
            button{font-size:1.1rem;padding:.5rem 1.5rem}</style></head><body>
            <h1>Sandbox checkout</h1><p>No real money moves here.</p>
            <p><strong>\(escape(session.title))</strong></p><p>Order \(escape(session.orderID)): <strong>\(escape(amount))</strong></p>
            \(buttons)</body></html>
            """)
    }

    func act(_ request: PageRequest) async throws -> PageResponse {
        let (token, session) = try session(request)
        guard let action = request.parameters["action"].flatMap(Action.init(rawValue:)) else { throw PageProblem.notFound("sandbox action") }
        if let host = provider.host.get(), host.clock.now().milliseconds >= session.expiresAt {
            throw PageProblem(status: 410, kind: "checkout-expired", title: "Checkout expired", detail: "this sandbox checkout has expired")
        }
        // One event id per session and action: pressing Pay twice delivers the same event twice.
        let eventID = "sbx_evt_\(action.rawValue)_" + String(token.suffix(24))
        try await provider.deliver(SandboxEvent(
            id: eventID, type: action.eventType,
            data: .init(orderID: session.orderID, amount: session.amount, currency: session.currency,
                        paymentID: action == .pay ? "sbx_pay_" + String(token.suffix(24)) : nil, amountRefunded: nil, refundID: nil)))
        return .redirect(to: action == .pay ? session.successURL : session.cancelURL)
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }
}
