import Foundation
import HTTPTypes
import PluginKit

/// The Stripe events this plugin handles, each turned into a kernel command.
enum StripeWebhooks {
    static let signatureHeader = HTTPField.Name("Stripe-Signature")!

    struct Envelope: Decodable {
        let id: String
        let object: String
        let type: String
    }

    struct Event<Object: Decodable>: Decodable {
        struct Data: Decodable { let object: Object }
        let data: Data
    }

    struct Session: Decodable {
        let id: String
        let paymentStatus: String?
        let amountTotal: Int64?
        let currency: String?
        let paymentIntent: String?
        let clientReferenceId: String?
        let metadata: [String: String]?

        func order() throws -> OrderID {
            guard let text = metadata?["order_id"] ?? clientReferenceId, let id = OrderID(text) else {
                throw WebhookPayloadError("Checkout Session \(id) names no order")
            }
            return id
        }

        func paid() throws -> PaymentCommand {
            guard let amount = amountTotal, let currency else { throw WebhookPayloadError("Checkout Session \(id) has no amount") }
            let paid = try StripeAmounts.minorUnits(amount, currency: currency)
            return .paid(order: try order(), amount: paid.minorUnits, currency: currency, paymentReference: paymentIntent ?? id)
        }
    }

    struct Charge: Decodable {
        let id: String
        let amountRefunded: Int64?
        let currency: String?
        let paymentIntent: String?
    }

    struct Dispute: Decodable {
        let id: String
        let amount: Int64?
        let currency: String?
        let charge: String?
        let paymentIntent: String?
        let reason: String?
        let status: String?

        func payment() throws -> String {
            guard let reference = paymentIntent ?? charge else { throw WebhookPayloadError("dispute \(id) names no payment") }
            return reference
        }

        func reported() throws -> ProviderDispute {
            guard let amount, let currency else { throw WebhookPayloadError("dispute \(id) has no amount") }
            return ProviderDispute(id: id, amount: try StripeAmounts.minorUnits(amount, currency: currency).minorUnits, currency: currency,
                                   reason: reason ?? "dispute")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ envelope: WebhookEnvelope) throws -> T {
        do {
            return try JSONCoding.decoder.decode(Event<T>.self, from: Data(envelope.payload.utf8)).data.object
        } catch {
            throw WebhookPayloadError("unreadable \(envelope.eventType) event: \(error)")
        }
    }

    static let handlers: [String: WebhookHandler] = [
        // Delayed payment methods complete the session unpaid; their outcome arrives as async_payment_*.
        "checkout.session.completed": { envelope in
            let session = try decode(Session.self, envelope)
            return session.paymentStatus == "paid" ? try session.paid() : .acknowledge
        },
        "checkout.session.async_payment_succeeded": { try decode(Session.self, $0).paid() },
        "checkout.session.async_payment_failed": { envelope in
            .failed(order: try decode(Session.self, envelope).order(), reason: "the delayed payment failed")
        },
        "checkout.session.expired": { .expired(order: try decode(Session.self, $0).order()) },
        "charge.refunded": { envelope in
            let charge = try decode(Charge.self, envelope)
            guard let total = charge.amountRefunded, let currency = charge.currency else {
                throw WebhookPayloadError("charge \(charge.id) has no amount_refunded")
            }
            return .refundedPayment(paymentReference: charge.paymentIntent ?? charge.id,
                                    totalRefunded: try StripeAmounts.minorUnits(total, currency: currency).minorUnits, currency: currency,
                                    refundReference: nil)
        },
        // An inquiry (status `warning_…`) withdraws nothing: only a chargeback is booked.
        "charge.dispute.created": { envelope in
            let dispute = try decode(Dispute.self, envelope)
            if dispute.status?.hasPrefix("warning_") == true { return .acknowledge }
            return .disputedPayment(paymentReference: try dispute.payment(), dispute: try dispute.reported())
        },
        // Stripe's dispute statuses: `won` gives the money back, `lost` does not, and
        // `warning_closed` ends an inquiry that withdrew nothing.
        "charge.dispute.closed": { envelope in
            let dispute = try decode(Dispute.self, envelope)
            let outcome: DisputeOutcome
            switch dispute.status {
            case "warning_closed": return .acknowledge
            case "won": outcome = .won
            case "lost": outcome = .lost
            default: throw WebhookPayloadError("dispute \(dispute.id) closed with status \(dispute.status ?? "none")")
            }
            return .disputeClosedPayment(paymentReference: try dispute.payment(), dispute: try dispute.reported(), outcome: outcome)
        },
    ]
}
