import Foundation
import PluginKit
import SQLKit

/// The body every delivery of an event carries: `{id, type, created_at, organizer_id, data}`.
struct WebhookEventBody: Encodable {
    let id: String, type: String, createdAt: Timestamp, organizerId: String
    let data: any Encodable & Sendable

    enum CodingKeys: String, CodingKey { case id, type, createdAt, organizerId, data }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(type, forKey: .type)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(organizerId, forKey: .organizerId)
        try container.encode(data, forKey: .data)
    }
}

/// Publishing: one delivery row per subscribed, enabled endpoint, in the transaction of the change.
package enum OutgoingWebhooks {
    struct Event: Sendable {
        let type: WebhookEventType
        let organizer: OrganizerID
        let subject: String
        let data: any Encodable & Sendable
    }

    /// One delivery of each event to each of `endpoints` (the enabled endpoints of the events'
    /// organizers) subscribed to its type; nothing is built for an event nobody subscribes to.
    static func publish(_ events: [Event], to endpoints: [WebhookEndpoint], at time: Timestamp, on sql: any SQLDatabase) async throws {
        guard !events.isEmpty, !endpoints.isEmpty else { return }
        var deliveries: [WebhookDeliveryRepository.NewDelivery] = []
        for event in events {
            let subscribed = endpoints.filter { $0.organizerID == event.organizer && $0.events.contains(event.type) }
            guard !subscribed.isEmpty else { continue }
            let id = WebhookEventID.generate(at: time)
            let body = WebhookEventBody(id: id.rawValue, type: event.type.rawValue, createdAt: time, organizerId: event.organizer.rawValue,
                                        data: event.data)
            let payload = String(decoding: try JSONCoding.encoder.encode(body), as: UTF8.self)
            for endpoint in subscribed {
                deliveries.append(.init(id: .generate(at: time), event: id, endpoint: endpoint.id, organizer: event.organizer, type: event.type,
                                        subject: event.subject, payload: payload))
            }
        }
        try await WebhookDeliveryRepository(sql).insert(deliveries, at: time)
    }
}
