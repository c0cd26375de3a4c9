import PluginKit
import SQLKit

/// An email to send: its kind (which templates), recipient, what it says, and the key that keeps
/// it to one message however often the change that causes it is applied.
package struct Notice: Sendable {
    package let kind: MailKind
    /// The organizer the email is about, if any (admins filter by it).
    package let organizer: OrganizerID?
    package let recipient: String
    package let content: MailContent
    package let idempotencyKey: String

    package init(kind: MailKind, organizer: OrganizerID?, recipient: String, content: MailContent, idempotencyKey: String) {
        self.kind = kind
        self.organizer = organizer
        self.recipient = recipient
        self.content = content
        self.idempotencyKey = idempotencyKey
    }
}

/// The one way an email is queued: a row written in the transaction of the change that causes
/// it, sent later by the mail worker. Nothing is sent from inside a transaction.
package enum Outbox {
    /// Queues `notice` unless one with its idempotency key is queued already; true when it is new.
    @discardableResult
    package static func enqueue(_ notice: Notice, at time: Timestamp, on sql: any SQLDatabase) async throws -> Bool {
        try await OutboxRepository(sql, engine: DatabaseEngine(of: sql)).insert(
            id: MessageID.generate(at: time), kind: notice.kind, organizer: notice.organizer, recipient: notice.recipient,
            content: notice.content, idempotencyKey: notice.idempotencyKey, at: time)
    }

    /// Queues `notice` as `enqueue` does; inside an inbox batch, with the batch's other emails in
    /// one statement when the batch ends (`BatchWrites`).
    package static func enqueueBatchable(_ notice: Notice, at time: Timestamp, on sql: any SQLDatabase) async throws {
        try await BatchWrites.insert(OutboxRepository.batchedInsert(
            (MessageID.generate(at: time), notice.kind, notice.organizer, notice.recipient, notice.content, notice.idempotencyKey), at: time), on: sql)
    }

    /// Queues many notices in one statement, each unless its key is queued already.
    package static func enqueue(_ notices: [Notice], at time: Timestamp, on sql: any SQLDatabase) async throws {
        try await OutboxRepository(sql, engine: DatabaseEngine(of: sql)).insert(notices.map { notice in
            (MessageID.generate(at: time), notice.kind, notice.organizer, notice.recipient, notice.content, notice.idempotencyKey)
        }, at: time)
    }
}
