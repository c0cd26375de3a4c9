import Foundation
import PluginKit

/// The PayPal payment events this plugin handles, each turned into a kernel command.
enum PayPalWebhooks {
    static func resource<T: Decodable>(_ type: T.Type, _ envelope: WebhookEnvelope) throws -> T {
        do {
            return try JSONCoding.decoder.decode(PayPalResources.Event<T>.self, from: Data(envelope.payload.utf8)).resource
        } catch {
            throw WebhookPayloadError("unreadable \(envelope.eventType) event: \(error)")
        }
    }

    static let handlers: [String: WebhookHandler] = [
        // The buyer approved: the kernel asks for the capture unless the buyer's return did it first.
        "CHECKOUT.ORDER.APPROVED": { envelope in
            let order = try resource(PayPalResources.Order.self, envelope)
            return .approved(order: try order.order(), session: order.id)
        },
        // Only a capture's own status says the money was taken.
        "PAYMENT.CAPTURE.COMPLETED": { envelope in
            let capture = try resource(PayPalResources.Capture.self, envelope)
            return try capture.command(for: try capture.order())
        },
        "PAYMENT.CAPTURE.PENDING": { _ in .acknowledge },
        "PAYMENT.CAPTURE.DENIED": { try failed($0) },
        "PAYMENT.CAPTURE.DECLINED": { try failed($0) },
        // A refund resource: PayPal's running total of the capture's refunds.
        "PAYMENT.CAPTURE.REFUNDED": { try refunded($0) },
        // PayPal took the money back without the organizer (a chargeback decided for the buyer, a
        // reversal): a lost dispute of the amount reversed, as Stripe's charge.dispute.closed is.
        "PAYMENT.CAPTURE.REVERSED": { envelope in
            let reversal = try resource(PayPalResources.Refund.self, envelope)
            guard let taken = try reversal.amount?.magnitude() else { throw WebhookPayloadError("PayPal reversal \(reversal.id) has no amount") }
            return .disputeClosedPayment(paymentReference: try reversal.capture(),
                                         dispute: ProviderDispute(id: reversal.id, amount: taken.minorUnits, currency: taken.currency.code,
                                                                  reason: "PayPal reversed the payment"),
                                         outcome: .lost)
        },
    ]

    static func failed(_ envelope: WebhookEnvelope) throws -> PaymentCommand {
        let capture = try resource(PayPalResources.Capture.self, envelope)
        return .failed(order: try capture.order(), reason: "PayPal \(capture.status.lowercased()) the payment (\(capture.statusDetails?.reason ?? "no reason given"))")
    }

    static func refunded(_ envelope: WebhookEnvelope) throws -> PaymentCommand {
        let refund = try resource(PayPalResources.Refund.self, envelope)
        let total = try refund.totalRefunded()
        return .refundedPayment(paymentReference: try refund.capture(), totalRefunded: total.minorUnits, currency: total.currency.code,
                                refundReference: refund.id)
    }
}
