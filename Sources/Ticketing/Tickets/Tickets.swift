import PluginKit
import Platform

/// Reading tickets: an order's and one ticket's, for the buyer (through the order's credential)
/// and for the organizer; and the orders a buyer's pages show, with their events and tickets.
package struct Tickets: Sendable {
    let database: any Database
    let orders: Orders

    package init(database: any Database, orders: Orders) {
        self.database = database
        self.orders = orders
    }

    /// - Throws: `PlatformError.notFound("order")` for a wrong credential, as for no order.
    func forOrder(_ id: OrderID, accessToken: String) async throws -> [Ticket] {
        let orders = self.orders
        return try await database.read { sql in
            try await TicketRepository(sql).forOrder(try await orders.find(id, accessToken: accessToken, on: sql).id)
        }
    }

    /// - Throws: `PlatformError.notFound("order")` when the order is not this organizer's.
    package func forOrder(_ id: OrderID, organizer: OrganizerID) async throws -> [Ticket] {
        try await database.read { sql in
            guard try await OrderRepository(sql).find(id, organizer: organizer) != nil else { throw PlatformError.notFound("order") }
            return try await TicketRepository(sql).forOrder(id)
        }
    }

    /// The ticket, when the credential opens its order.
    /// - Throws: `PlatformError.notFound("ticket")` otherwise.
    func find(_ id: TicketID, accessToken: String) async throws -> Ticket {
        let orders = self.orders
        return try await database.read { sql in
            guard let ticket = try await TicketRepository(sql).find(id) else { throw PlatformError.notFound("ticket") }
            _ = try await orders.find(ticket.orderID, accessToken: accessToken, noun: "ticket", on: sql)
            return ticket
        }
    }

    /// - Throws: `PlatformError.notFound("ticket")` when the ticket is not this organizer's.
    func find(_ id: TicketID, organizer: OrganizerID) async throws -> Ticket {
        guard let ticket = try await database.read({ sql in try await TicketRepository(sql).find(id) }), ticket.organizerID == organizer else {
            throw PlatformError.notFound("ticket")
        }
        return ticket
    }

    /// The order a confirmation email links to, opened by its credential, with what its page shows.
    func buyerOrder(_ id: OrderID, accessToken: String) async throws -> [BuyerOrder] {
        let orders = self.orders
        return try await database.read { sql in try await BuyerOrder.load([try await orders.find(id, accessToken: accessToken, on: sql)], on: sql) }
    }

    /// Every order a signed-in buyer sees (the latest 200), with what its page shows.
    func buyerOrders(email: String) async throws -> [BuyerOrder] {
        try await database.read { sql in
            try await BuyerOrder.load(try await OrderRepository(sql).list(email: email, statuses: BuyerSignIn.visibleStatuses, limit: 200), on: sql)
        }
    }
}
