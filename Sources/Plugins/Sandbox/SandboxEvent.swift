import Crypto
import Foundation
import PluginKit

/// The Sandbox's webhook body: `{"id", "type", "data": {...}}`.
struct SandboxEvent: Codable {
    struct Payload: Codable {
        var orderID: String?
        var amount: Int64?
        var currency: String?
        var paymentID: String?
        var amountRefunded: Int64?
        var refundID: String?
        /// Payout events: the platform's payout id, and why it failed.
        var payoutID: String?
        var reason: String?

        enum CodingKeys: String, CodingKey {
            case orderID = "order_id", amount, currency, paymentID = "payment_id", amountRefunded = "amount_refunded", refundID = "refund_id"
            case payoutID = "payout_id", reason
        }

        func order() throws -> OrderID {
            guard let orderID, let id = OrderID(orderID) else { throw WebhookPayloadError("'\(orderID ?? "")' is not an order id") }
            return id
        }

        func payout() throws -> String {
            guard let payoutID, !payoutID.isEmpty else { throw WebhookPayloadError("payout event without payout_id") }
            return payoutID
        }
    }

    let id: String
    let type: String
    let data: Payload

    static func data(of envelope: WebhookEnvelope) throws -> Payload {
        do {
            return try JSONDecoder().decode(SandboxEvent.self, from: Data(envelope.payload.utf8)).data
        } catch {
            throw WebhookPayloadError("unreadable sandbox event: \(error)")
        }
    }
}

/// What a sandbox checkout sells, carried in its URL so the page needs no storage. It is sealed
/// with ChaCha20-Poly1305 under a key derived from the Sandbox's secret: nobody can change it, and
/// the order's access token in its return URLs cannot be read from a logged or shared URL.
struct SandboxSession: Codable, Equatable {
    let orderID: String
    let amount: Int64
    let currency: String
    let title: String
    let successURL: String
    let cancelURL: String
    let expiresAt: Int64

    func sealed(secret: String) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try ChaChaPoly.seal(try encoder.encode(self), using: Self.key(secret)).combined.base64URLText
    }

    /// Nil for anything not sealed under this secret, changed by a single bit, or not a session.
    static func open(_ token: String, secret: String) -> SandboxSession? {
        guard let combined = Data(base64URL: token), let box = try? ChaChaPoly.SealedBox(combined: combined),
              let data = try? ChaChaPoly.open(box, using: key(secret)) else { return nil }
        return try? JSONDecoder().decode(SandboxSession.self, from: data)
    }

    private static func key(_ secret: String) -> SymmetricKey {
        SymmetricKey(data: SHA256.hash(data: Data("sandbox-session:\(secret)".utf8)))
    }
}
