import PluginKit

/// An endpoint as its organizer sees it: never its secret, except once in `secret` on creation and rotation.
struct WebhookEndpointBody: Encodable {
    let id: String, url: String, description: String?, events: [String], status: String, disabledReason: String?
    let failingSince: Timestamp?, createdAt: Timestamp, updatedAt: Timestamp
    var secret: String?

    init(_ endpoint: WebhookEndpoint, secret: String? = nil) {
        id = endpoint.id.rawValue
        url = endpoint.url
        description = endpoint.description
        events = endpoint.events.map(\.rawValue)
        status = endpoint.status.rawValue
        disabledReason = endpoint.disabledReason
        failingSince = endpoint.failingSince
        createdAt = endpoint.createdAt
        updatedAt = endpoint.updatedAt
        self.secret = secret
    }
}
