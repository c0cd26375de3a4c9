import PluginKit
import SQLKit
import Synchronization

/// Rows an inbox batch reads for every payment and writes for none (an order's organizer and
/// event, the event's variant names, the organizer's enabled webhook endpoints), read once per
/// batch. A batch is one transaction of at most `InboxWorker.batchSize` webhooks, so a later
/// payment in it sees what an earlier one read, as if it had come a moment sooner. A batch of
/// checkouts (`Checkout.reserve(_:on:clock:)`) reads its live event, its organizer's fee and the
/// endpoints so too. It also holds
/// the orders of the batch's payments, which the batch does write: read in one statement and each
/// given out once, so a read after the batch may have changed one goes to the database. Set by
/// `InboxWorker` around a batch's rows, and around a batch of checkouts; outside a batch every
/// read goes to the database.
package final class BatchReads: Sendable {
    @TaskLocal static var current: BatchReads?

    private let values = Mutex<[String: any Sendable]>([:])
    /// The orders the batch's payments are for, read together when the batch starts; each is
    /// given to the first `OrderRepository.find` of its id and then read anew.
    private let orders = Mutex<[OrderID: Order]>([:])

    /// What `load` gives, or what it gave earlier in this batch for `key`.
    /// - Parameter key: names the row and what was read of it ("organizer:org_…").
    /// - Throws: whatever `load` throws; nothing is kept then.
    package static func value<T: Sendable>(_ key: String, _ load: () async throws -> T) async throws -> T {
        guard let reads = current else { return try await load() }
        // Unwrapped before the cast: a missing key cast to an optional `T` would be a nil found.
        if let found = reads.values.withLock({ $0[key] }), let value = found as? T { return value }
        let value = try await load()
        reads.values.withLock { $0[key] = value }
        return value
    }

    /// Reads the orders of the batch's payments in one statement, for their first `find`.
    static func prefetchOrders(_ ids: [OrderID], on sql: any SQLDatabase) async throws {
        guard let reads = current, ids.count > 1 else { return }
        let found = try await OrderRepository(sql).findAll(Array(Set(ids)).sorted())
        reads.orders.withLock { orders in
            for order in found { orders[order.id] = order }
        }
    }

    /// The prefetched order, once: a second read of the same id goes to the database, since the
    /// batch may have changed the row meanwhile.
    static func takeOrder(_ id: OrderID) -> Order? {
        current?.orders.withLock { $0.removeValue(forKey: id) }
    }

    /// Drops every prefetched order: called before a command that may change orders other than
    /// its own (anything but a payment) applies.
    static func forgetOrders() {
        current?.orders.withLock { $0.removeAll() }
    }
}
