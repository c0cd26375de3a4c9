import PluginKit
import SQLKit

/// Disables an endpoint the platform gave up on (a 410, or failing for 3 days): its waiting
/// deliveries fail, the change is audited, and its organizer is emailed, in one transaction.
enum EndpointDisabling {
    static func disable(_ endpoint: WebhookEndpointID, organizer: OrganizerID, url: String, reason: String, mailFrom: String,
                        at time: Timestamp, on sql: any SQLDatabase) async throws {
        guard try await WebhookEndpointRepository(sql).disable(endpoint, reason: reason, at: time) else { return }
        try await WebhookDeliveryRepository(sql).failWaiting(endpoint: endpoint, reason: "endpoint disabled: \(reason)")
        try await AuditTrail.record("webhook_endpoint.disabled", organizer: organizer, subject: endpoint.rawValue,
                                    changes: .fields(["status": ("enabled", "disabled"), "disabled_reason": (nil, reason)]), at: time, on: sql)
        guard let owner = try await OrganizerRepository(sql).find(organizer) else { return }
        let model: [String: Any] = [
            "organizer": ["name": owner.name],
            "endpoint": ["id": endpoint.rawValue, "url": WebhookEndpoint.shown(url), "reason": reason],
        ]
        let content = try MailContent(sender: MailAddress(email: mailFrom, name: "Webhooks"), replyTo: nil, modelObject: model)
        try await Outbox.enqueue(Notice(kind: .webhookEndpointDisabled, organizer: organizer, recipient: owner.email, content: content,
                                        idempotencyKey: "webhook-endpoint-disabled-\(endpoint)-\(time.milliseconds)"), at: time, on: sql)
    }
}
