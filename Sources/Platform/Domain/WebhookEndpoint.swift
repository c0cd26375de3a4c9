import Crypto
import Foundation
import PluginKit

package enum WebhookEndpointStatus: String, Sendable, Codable, CaseIterable {
    case enabled
    case disabled
}

/// An organizer's receiver of outgoing webhooks. Its secrets sign deliveries and never leave the
/// platform after creation or rotation.
package struct WebhookEndpoint: Sendable, Equatable {
    package let id: WebhookEndpointID
    package let organizerID: OrganizerID
    package var url: String
    package var description: String?
    package var events: [WebhookEventType]
    package var status: WebhookEndpointStatus
    /// Why it was disabled: `by organizer`, `410 Gone`, `failing for 3 days`.
    package var disabledReason: String?
    /// The first failure since the last success.
    package var failingSince: Timestamp?
    package let createdAt: Timestamp
    package var updatedAt: Timestamp

    /// How long the previous secret still signs after a rotation, so receivers can switch over.
    package static let rotationOverlapMilliseconds: Int64 = 24 * 3_600_000
    /// The URL as the audit log and emails show it: its origin, and a fingerprint of the rest,
    /// since a path or query may itself be a credential (`https://hooks.example/…#1a2b3c4d`).
    package var shownURL: String { Self.shown(url) }

    package static func shown(_ url: String) -> String {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme, let host = parts.host else { return "(unreadable)" }
        let origin = "\(scheme)://\(host)" + (parts.port.map { ":\($0)" } ?? "")
        let fingerprint = SHA256.hash(data: Data(url.utf8)).prefix(4).map { String(format: "%02x", $0) }.joined()
        return origin + "/…#" + fingerprint
    }

    /// A secret as handed to the organizer: `whsec_` and 40 Crockford base32 characters.
    package static func makeSecret() -> String { SecretToken.make(marker: "whsec_") }
}

/// The secrets that sign a delivery now: the current one, and the previous one during the overlap.
package struct WebhookSecrets: Sendable {
    package let current: String
    package let previous: String?
    package let previousExpiresAt: Timestamp?

    package func signing(at time: Timestamp) -> [String] {
        guard let previous, let expires = previousExpiresAt, time < expires else { return [current] }
        return [current, previous]
    }
}

/// What the audit log compares of an endpoint: never its secret, and its URL only as shown.
package struct AuditedWebhookEndpoint: Encodable, Sendable {
    let url: String, description: String?, events: [String], status: String, disabledReason: String?

    package init(_ endpoint: WebhookEndpoint) {
        url = endpoint.shownURL
        description = endpoint.description
        events = endpoint.events.map(\.rawValue)
        status = endpoint.status.rawValue
        disabledReason = endpoint.disabledReason
    }
}
