import Foundation
import PluginKit
import SQLKit

/// The email that tells a buyer a refund went through, queued when the provider confirms it,
/// in the same transaction: one per refunded level of the order.
package struct RefundNotice: OrderLifecycleObserver {
    /// The platform's sending address (MAIL_FROM); the organizer's name and reply-to go with it.
    let from: String

    package init(from: String) { self.from = from }

    package func handle(_ event: OrderLifecycleEvent, at time: Timestamp, on sql: any SQLDatabase) async throws {
        guard case let .refundSettled(order, amount, full) = event, amount > 0 else { return }
        guard let organizer = try await OrganizerRepository(sql).find(order.organizerID),
              let event = try await EventRepository(sql).find(order.eventID, organizer: order.organizerID) else { return }
        let refunded = order.refunded + amount
        // Money held in review goes back in the currency its payment took, which may not be the order's.
        let currency = try await PaymentApplier.heldPayment(of: order, on: sql)?.currency ?? order.total.currency
        let model: [String: Any] = [
            "organizer": ["name": organizer.name],
            "buyer": ["name": order.buyerName as Any, "email": order.email],
            "event": ["title": event.title],
            "order": ["id": order.id.rawValue, "total": order.total.description],
            "refund": ["amount": Money(minorUnits: amount, currency: currency).description,
                       "refunded": Money(minorUnits: refunded, currency: currency).description, "full": full],
        ]
        let (sender, replyTo) = organizer.mailSender(platformAddress: from)
        let content = try MailContent(sender: sender, replyTo: replyTo, modelObject: model)
        // One notice per refunded level of the order: a redelivered refund event never reaches here twice.
        try await Outbox.enqueue(Notice(kind: .refundNotice, organizer: order.organizerID, recipient: order.email, content: content,
                                        idempotencyKey: "refund-notice-\(order.id)-\(refunded)"), at: time, on: sql)
    }
}
