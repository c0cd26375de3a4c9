import Foundation
import PluginKit

/// The Sandbox's webhook body: `{"id", "type", "data": {...}}`.
struct SandboxEvent: Codable {
    struct Payload: Codable {
        let orderID: String
        let amount: Int64?
        let currency: String?
        let paymentID: String?
        let amountRefunded: Int64?
        let refundID: String?

        enum CodingKeys: String, CodingKey {
            case orderID = "order_id", amount, currency, paymentID = "payment_id", amountRefunded = "amount_refunded", refundID = "refund_id"
        }

        func order() throws -> OrderID {
            guard let id = OrderID(orderID) else { throw WebhookPayloadError("'\(orderID)' is not an order id") }
            return id
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

/// What a sandbox checkout sells, carried in its URL and sealed with an HMAC so the page needs no storage.
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
        let payload = try encoder.encode(self).base64URLText
        return payload + "." + TimestampedSignature.sign(body: Data(payload.utf8), secret: secret, timestamp: 0)
    }

    static func open(_ token: String, secret: String) -> SandboxSession? {
        let parts = token.split(separator: ".")
        guard parts.count == 2 else { return nil }
        let payload = String(parts[0])
        let header = "t=0,v1=\(parts[1])"
        guard (try? TimestampedSignature.verify(header: header, body: Data(payload.utf8), secrets: [secret],
                                                now: Timestamp(milliseconds: 0))) != nil,
              let data = Data(base64URL: payload) else { return nil }
        return try? JSONDecoder().decode(SandboxSession.self, from: data)
    }
}
