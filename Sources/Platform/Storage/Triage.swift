import PluginKit
import SQLKit

/// A stored queue that admins triage: the webhook inbox, the mail outbox.
package protocol TriageQueue: Sendable {
    associatedtype Status: RawRepresentable<String> & CaseIterable & Sendable
    associatedtype Kind: IDKind
    associatedtype Row: Sendable
    /// The rows' statuses that may be replayed, as the refusal of the others words them ("dead").
    static var replayable: String { get }
    func list(statuses: [Status], after: TypedID<Kind>?, limit: Int, on sql: any SQLDatabase) async throws -> [Row]
    func find(_ id: TypedID<Kind>, on sql: any SQLDatabase) async throws -> Row?
    /// Puts the row back in the queue; false when its status cannot be replayed.
    func requeue(_ id: TypedID<Kind>, at time: Timestamp, on sql: any SQLDatabase) async throws -> Bool
    func id(of row: Row) -> TypedID<Kind>
    func status(of row: Row) -> Status
}

/// The admin's list and replay of one queue, the same for each.
package struct Triage<Queue: TriageQueue>: Sendable {
    let database: any Database
    let clock: any WallClock
    /// Wakes the queue's worker, so a replayed row goes out without waiting for a poll.
    let signal: WakeSignal
    let queue: Queue

    package init(database: any Database, clock: any WallClock, signal: WakeSignal, queue: Queue) {
        self.database = database
        self.clock = clock
        self.signal = signal
        self.queue = queue
    }

    /// Rows in `statuses`, in id order, after the cursor.
    package func list(statuses: [Queue.Status], after: TypedID<Queue.Kind>?, limit: Int) async throws -> [Queue.Row] {
        let queue = self.queue
        return try await database.read { sql in try await queue.list(statuses: statuses, after: after, limit: limit, on: sql) }
    }

    /// Puts a row back in its queue and wakes the worker; returns the row as it is now.
    /// - Throws: `PlatformError.notFound` for an unknown id, `.conflict` for a row whose status cannot be replayed.
    package func replay(_ id: TypedID<Queue.Kind>) async throws -> Queue.Row {
        let (queue, now) = (self.queue, clock.now())
        let row = try await database.transaction { sql in
            guard let row = try await queue.find(id, on: sql) else { throw PlatformError.notFound(Queue.Kind.noun) }
            guard try await queue.requeue(id, at: now, on: sql) else {
                throw PlatformError.conflict("only \(Queue.replayable) \(Queue.Kind.noun)s can be replayed; this one is \(queue.status(of: row).rawValue)")
            }
            // "webhook.replayed", "message.replayed": platform-wide entries, for admins.
            try await AuditTrail.record("\(Queue.Kind.noun.replacingOccurrences(of: " ", with: "_")).replayed", organizer: nil, subject: id.rawValue,
                                        changes: .fields(["status": (queue.status(of: row).rawValue, "replayed")]), at: now, on: sql)
            return try await queue.find(id, on: sql) ?? row
        }
        signal.wake()
        return row
    }
}
