import Crypto
import Foundation
import Logging
import PluginKit

/// The link PayPal sends an approving buyer back to: `{baseURL}/paypal/return?order=…&next=…&sig=…`,
/// to which PayPal adds `token` (its order id) and `PayerID`. `sig` (HMAC-SHA256 under a key
/// derived from the client secret) binds our order to where the buyer goes next, so the link
/// cannot send anyone elsewhere.
struct PayPalReturnLinks: Sendable {
    let baseURL: String
    let key: SymmetricKey

    init(baseURL: String, secret: String) {
        self.baseURL = baseURL
        key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Data("paypal return links".utf8), using: SymmetricKey(data: Data(secret.utf8))))
    }

    func signature(order: String, next: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data("\(order)\n\(next)".utf8), using: key)).base64URLText
    }

    func url(order: OrderID, next: String) -> String {
        let query = [("order", order.rawValue), ("next", next), ("sig", signature(order: order.rawValue, next: next))]
            .map { "\($0.0)=\(URLForm.escape($0.1))" }.joined(separator: "&")
        return "\(baseURL)/paypal/return?\(query)"
    }

    /// Our order and where to send the buyer, when the link is one of ours.
    func verify(_ query: [String: String]) -> (order: OrderID, next: String)? {
        guard let text = query["order"], let order = OrderID(text), let next = query["next"], let sig = query["sig"],
              sig.constantTimeEquals(signature(order: text, next: next)) else { return nil }
        return (order, next)
    }
}

/// Captures the approved order as the buyer comes back, then sends the buyer on.
struct PayPalReturnPage: Sendable {
    let links: PayPalReturnLinks
    let provider: String
    let host: any PaymentHost
    let logger: Logger
    /// PayPal's link for the buyer when it still waits for them (see `PayPalProvider.approvalLink`).
    let approvalLink: @Sendable (String) async -> String?

    func register(on routes: any PluginRoutes) {
        routes.get("paypal/return") { request in try await answer(request) }
    }

    func answer(_ request: PageRequest) async throws -> PageResponse {
        guard let (order, next) = links.verify(request.query), let session = request.query["token"], PayPalResources.pathSafe(session) else {
            throw PageProblem.notFound("PayPal return link")
        }
        do {
            // Nothing taken yet and PayPal waits for the buyer (it asked for more): back to PayPal.
            if try await host.capture(provider: provider, order: order, session: session) == .acknowledge,
               let link = await approvalLink(session) {
                return .redirect(to: link)
            }
        } catch let problem as PageProblem {
            throw problem
        } catch {
            // The approval event captures it later: the buyer need not do anything again.
            logger.warning("PayPal capture on return failed", metadata: ["order": "\(order)", "error": "\(String(describing: error).prefix(200))"])
            return .html(Self.delayed(next: next))
        }
        return .redirect(to: next)
    }

    static func delayed(next: String) -> String {
        let link = next.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "<", with: "&lt;")
        return """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Payment on its way</title>
            <meta name="viewport" content="width=device-width, initial-scale=1"></head><body>
            <h1>Your payment is on its way</h1>
            <p>You approved the payment at PayPal, but PayPal did not confirm it in time. There is nothing more to do:
            the payment completes as soon as PayPal answers, and your tickets are emailed then.</p>
            <p><a href="\(link)">See your order</a></p></body></html>
            """
    }
}
