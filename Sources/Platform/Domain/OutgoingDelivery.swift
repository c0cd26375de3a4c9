import PluginKit

package enum WebhookDeliveryStatus: String, Sendable, Codable, CaseIterable {
    /// Waiting for its first or next attempt (`next_attempt_at`).
    case pending
    /// Leased to a sender.
    case sending
    case delivered
    /// Given up: 3 days without a 2xx, or its endpoint was disabled.
    case failed
}

/// One event on its way to one endpoint; `eventID` and `payload` never change, whatever the attempt.
package struct OutgoingDelivery: Sendable, Equatable {
    package let id: WebhookDeliveryID
    package let eventID: WebhookEventID
    package let endpointID: WebhookEndpointID
    package let organizerID: OrganizerID
    package let type: WebhookEventType
    package let subjectID: String
    package let payload: String
    package var status: WebhookDeliveryStatus
    package var attempts: Int
    package var nextAttemptAt: Timestamp
    package var lastStatus: Int?
    package var lastError: String?
    package let createdAt: Timestamp
    package var deliveredAt: Timestamp?

    /// Retries stop this long after the event (the 3 days; Stripe retries for 3 days too).
    package static let retryWindowMilliseconds: Int64 = 3 * 86_400_000
}

/// One attempt at a delivery and what the endpoint answered.
package struct WebhookAttempt: Sendable, Equatable {
    package let attempt: Int
    package let startedAt: Timestamp
    package let durationMilliseconds: Int64
    /// The HTTP status, or nil when no answer came (refused, timed out, blocked address).
    package let statusCode: Int?
    package let error: String?
    /// The first 1 KB of the answer's body.
    package let responseBody: String?
}
