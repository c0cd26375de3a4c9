import PluginKit
import SQLKit

/// Reading orders: an organizer's, and a buyer's through the credential that opens it.
package struct Orders: Sendable {
    let database: any Database
    let clock: any WallClock

    package init(database: any Database, clock: any WallClock) {
        self.database = database
        self.clock = clock
    }

    /// - Throws: `PlatformError.notFound` when there is no such order of this organizer.
    package func find(_ id: OrderID, organizer: OrganizerID) async throws -> Order {
        guard let order = try await database.read({ sql in try await OrderRepository(sql).find(id, organizer: organizer) }) else {
            throw PlatformError.notFound("order")
        }
        return order
    }

    /// The organizer's orders for the back office's list; see `OrderRepository.search`.
    package func search(organizer: OrganizerID, text: String, statuses: [OrderStatus], from: Timestamp?, to: Timestamp?,
                        before: OrderID?, limit: Int) async throws -> [Order] {
        try await database.read { sql in
            try await OrderRepository(sql).search(organizer: organizer, text: text, statuses: statuses, from: from, to: to, before: before,
                                                  limit: limit)
        }
    }

    /// The order's refunds, oldest first (none for another organizer's order).
    package func refunds(_ id: OrderID, organizer: OrganizerID) async throws -> [RefundRecord] {
        try await database.read { sql in try await RefundRepository(sql).list(order: id, organizer: organizer) }
    }

    /// An event's orders in id order, after the cursor.
    /// - Throws: `PlatformError.notFound` when the event is not this organizer's.
    package func list(event: EventID, organizer: OrganizerID, after: OrderID?, limit: Int) async throws -> [Order] {
        try await database.read { sql in
            guard try await EventRepository(sql).find(event, organizer: organizer) != nil else { throw PlatformError.notFound("event") }
            return try await OrderRepository(sql).list(event: event, organizer: organizer, after: after, limit: limit)
        }
    }

    /// The order a buyer's credential opens: the access token from checkout, one issued later (for
    /// an email's link), or an open buyer session of the order's address.
    /// - Throws: `PlatformError.notFound(noun)` for a wrong credential, exactly as for no order.
    package func find(_ id: OrderID, accessToken: String, noun: String = "order") async throws -> Order {
        try await database.read { sql in try await find(id, accessToken: accessToken, noun: noun, on: sql) }
    }

    /// The same, inside the caller's read, for use cases that read more with it.
    package func find(_ id: OrderID, accessToken: String, noun: String = "order", on sql: any SQLDatabase) async throws -> Order {
        guard let order = try await OrderRepository(sql).find(id, accessTokenHash: SecretToken.hash(accessToken), at: clock.now()) else {
            throw PlatformError.notFound(noun)
        }
        return order
    }
}
