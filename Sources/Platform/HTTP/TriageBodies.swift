import PluginKit

/// A stored webhook as admins see it.
struct WebhookBody: Encodable {
    let id: String, provider: String, eventId: String, eventType: String, status: String, attempts: Int
    let lastError: String?, receivedAt: Timestamp, nextAttemptAt: Timestamp, processedAt: Timestamp?

    init(_ row: InboxRow) {
        id = row.id.rawValue
        provider = row.provider
        eventId = row.eventID
        eventType = row.eventType
        status = row.status.rawValue
        attempts = row.attempts
        lastError = row.lastError
        receivedAt = row.receivedAt
        nextAttemptAt = row.nextAttemptAt
        processedAt = row.processedAt
    }
}

/// A message as admins see it: who, what and how it went; never the rendered body.
struct OutboxBody: Encodable {
    let id: String, kind: String, organizerId: String?, recipient: String, status: String, attempts: Int
    let lastError: String?, mailer: String?, providerMessageId: String?, createdAt: Timestamp, nextAttemptAt: Timestamp, sentAt: Timestamp?

    init(_ message: OutboxMessage) {
        id = message.id.rawValue
        kind = message.kind.rawValue
        organizerId = message.organizerID?.rawValue
        recipient = message.recipient
        status = message.status.rawValue
        attempts = message.attempts
        lastError = message.lastError
        mailer = message.mailer
        providerMessageId = message.providerMessageID
        createdAt = message.createdAt
        nextAttemptAt = message.nextAttemptAt
        sentAt = message.sentAt
    }
}
