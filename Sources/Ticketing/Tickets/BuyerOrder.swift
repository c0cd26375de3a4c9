import Platform
import SQLKit

/// A buyer's order with what its page shows: the event and its organizer's name, the variant names and the tickets.
struct BuyerOrder {
    let order: Order
    let event: Event
    let organizerName: String
    let variantNames: [VariantID: String]
    let tickets: [Ticket]

    static func load(_ orders: [Order], on sql: any SQLDatabase) async throws -> [BuyerOrder] {
        var events: [EventID: Event] = [:]
        var names: [EventID: [VariantID: String]] = [:]
        let tickets = Dictionary(grouping: try await TicketRepository(sql).forOrders(orders.map(\.id)), by: \.orderID)
        let organizers = try await OrganizerRepository(sql).find(Array(Set(orders.map(\.organizerID))))
        var loaded: [BuyerOrder] = []
        for order in orders {
            if events[order.eventID] == nil {
                guard let event = try await EventRepository(sql).find(order.eventID, organizer: order.organizerID) else { continue }
                events[order.eventID] = event
                names[order.eventID] = Dictionary(uniqueKeysWithValues: try await VariantRepository(sql).list(event: event.id).map { ($0.id, $0.name) })
            }
            guard let event = events[order.eventID] else { continue }
            loaded.append(BuyerOrder(order: order, event: event, organizerName: organizers[order.organizerID]?.name ?? "", variantNames: names[order.eventID] ?? [:],
                                     tickets: tickets[order.id] ?? []))
        }
        return loaded
    }
}
