import Synchronization

/// Rows an inbox batch reads for every payment and writes for none (an order's organizer and
/// event, the event's variant names, the organizer's enabled webhook endpoints), read once per
/// batch. A batch is one transaction of at most `InboxWorker.batchSize` webhooks, so a later
/// payment in it sees what an earlier one read, as if it had come a moment sooner. Set by
/// `InboxWorker` around a batch's rows; outside a batch every read goes to the database.
package final class BatchReads: Sendable {
    @TaskLocal static var current: BatchReads?

    private let values = Mutex<[String: any Sendable]>([:])

    /// What `load` gives, or what it gave earlier in this batch for `key`.
    /// - Parameter key: names the row and what was read of it ("organizer:org_…").
    /// - Throws: whatever `load` throws; nothing is kept then.
    package static func value<T: Sendable>(_ key: String, _ load: () async throws -> T) async throws -> T {
        guard let reads = current else { return try await load() }
        if let found = reads.values.withLock({ $0[key] }) as? T { return found }
        let value = try await load()
        reads.values.withLock { $0[key] = value }
        return value
    }
}
