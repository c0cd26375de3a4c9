import Foundation
import PluginKit

struct WebhookAttemptBody: Encodable {
    let attempt: Int, startedAt: Timestamp, durationMs: Int64, statusCode: Int?, error: String?, responseBody: String?

    init(_ attempt: WebhookAttempt) {
        self.attempt = attempt.attempt
        startedAt = attempt.startedAt
        durationMs = attempt.durationMilliseconds
        statusCode = attempt.statusCode
        error = attempt.error
        responseBody = attempt.responseBody
    }
}

/// A delivery with the event it carries (`payload`, the exact body sent) and, shown alone, its attempts.
struct WebhookDeliveryBody: Encodable {
    let id: String, eventId: String, endpointId: String, type: String, subjectId: String, status: String, attempts: Int
    let nextAttemptAt: Timestamp?, lastStatusCode: Int?, lastError: String?, createdAt: Timestamp, deliveredAt: Timestamp?
    let payload: String
    var attemptLog: [WebhookAttemptBody]?

    init(_ delivery: OutgoingDelivery, attempts: [WebhookAttempt]? = nil) {
        id = delivery.id.rawValue
        eventId = delivery.eventID.rawValue
        endpointId = delivery.endpointID.rawValue
        type = delivery.type.rawValue
        subjectId = delivery.subjectID
        status = delivery.status.rawValue
        self.attempts = delivery.attempts
        nextAttemptAt = delivery.status == .pending ? delivery.nextAttemptAt : nil
        lastStatusCode = delivery.lastStatus
        lastError = delivery.lastError
        createdAt = delivery.createdAt
        deliveredAt = delivery.deliveredAt
        payload = delivery.payload
        attemptLog = attempts.map { $0.map(WebhookAttemptBody.init) }
    }
}

/// One audit entry; `changes` is the stored JSON object, inlined.
struct AuditEntryBody: Encodable {
    let id: String, organizerId: String?, actor: Actor, action: String, subjectId: String, orderId: String?, eventId: String?
    let changes: RawJSON, requestId: String?, createdAt: Timestamp

    struct Actor: Encodable { let kind: String, id: String? }

    init(_ entry: AuditEntry) {
        id = entry.id.rawValue
        organizerId = entry.organizerID?.rawValue
        actor = Actor(kind: entry.actor.kind, id: entry.actor.id)
        action = entry.action
        subjectId = entry.subjectID
        orderId = entry.orderID?.rawValue
        eventId = entry.eventID?.rawValue
        changes = RawJSON(text: entry.changes)
        requestId = entry.requestID
        createdAt = entry.createdAt
    }
}

/// Stored JSON written back as JSON, not as a string.
struct RawJSON: Encodable {
    let text: String

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode((try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .object([:]))
    }
}

extension JSONValue: Encodable {
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case let .bool(value): try container.encode(value)
        case let .int(value): try container.encode(value)
        case let .number(value): try container.encode(value)
        case let .string(value): try container.encode(value)
        case let .array(value): try container.encode(value)
        case let .object(value): try container.encode(value)
        }
    }
}
