import Platform
import SQLKit

/// Follows orders: issues one signed ticket per seat when an order is paid (and, with a
/// confirmation, queues the email that lists them), refunds the tickets a refund names or all of
/// them once everything is refunded, and gives named tickets back when the provider refuses the
/// refund. Runs inside the kernel's transaction, so tickets exist exactly when the order is paid.
package struct TicketLifecycle: OrderLifecycleObserver {
    let keys: TicketKeyRing
    let validAfterEndSeconds: Int64
    /// Queues the confirmation email with the tickets just issued; nil sends none.
    let confirmation: OrderConfirmation?

    init(keys: TicketKeyRing, validAfterEndSeconds: Int64 = 86_400, confirmation: OrderConfirmation? = nil) {
        self.keys = keys
        self.validAfterEndSeconds = validAfterEndSeconds
        self.confirmation = confirmation
    }

    package func handle(_ event: OrderLifecycleEvent, at time: Timestamp, on sql: any SQLDatabase) async throws {
        let tickets = TicketRepository(sql)
        switch event {
        case let .paid(order):
            // A credit pack's purchase has no tickets: its page and the wallet show it.
            guard order.creditPackID == nil else { return }
            try await issue(order, at: time, on: sql)
        case let .refunded(order, items, full):
            if !items.isEmpty { try await tickets.setStatus(order: order.id, ids: try ids(items), from: .valid, to: .refunded, at: time) }
            if full { try await tickets.setStatus(order: order.id, from: .valid, to: .refunded, at: time) }
        case let .refundFailed(order, _, items):
            guard !items.isEmpty else { return }
            try await tickets.setStatus(order: order.id, ids: try ids(items), from: .refunded, to: .valid, at: time)
        case .placed, .ended, .reviewed, .refundRequested, .refundSettled, .paymentHeld, .disputeOpened, .disputeClosed, .strayPayment,
             .strayRefunded, .creditReturned:
            break
        }
    }

    package func refundValue(of items: [String], in order: Order, on sql: any SQLDatabase) async throws -> Int64? {
        let tickets = Dictionary(uniqueKeysWithValues: try await TicketRepository(sql).forOrder(order.id).map { ($0.id.rawValue, $0) })
        var total: Int64 = 0
        for item in items {
            guard let ticket = tickets[item] else { throw ValidationFailure(field: "tickets", "\"\(item.prefix(40))\" is not a ticket of this order") }
            guard ticket.status == .valid else { throw ValidationFailure(field: "tickets", "\(item) is \(ticket.status.rawValue) already") }
            total += ticket.unitPrice
        }
        return total
    }

    private func ids(_ items: [String]) throws -> [TicketID] {
        try items.map { item in
            guard let id = TicketID(item) else { throw ValidationFailure(field: "tickets", "\(item) is not a ticket id") }
            return id
        }
    }

    func issue(_ order: Order, at time: Timestamp, on sql: any SQLDatabase) async throws {
        let event = try await BatchReads.value("event:\(order.organizerID):\(order.eventID)") {
            guard let event = try await EventRepository(sql).find(order.eventID, organizer: order.organizerID) else {
                throw PlatformError.notFound("event")
            }
            return event
        }
        let expires = (event.endsAt ?? event.startsAt).milliseconds / 1000 + validAfterEndSeconds
        let tickets = TicketRepository(sql)
        var issued: [Ticket] = []
        var seat: Int64 = 0
        for line in order.lines {
            for _ in 0..<line.quantity {
                seat += 1
                let id = TicketID.generate(at: time)
                let claims = TicketClaims(sub: id.rawValue, evt: order.eventID.rawValue, var: line.variantID.rawValue, ver: 1,
                                          iat: time.milliseconds / 1000, exp: expires)
                let ticket = Ticket(
                    id: id, organizerID: order.organizerID, eventID: order.eventID, variantID: line.variantID, orderID: order.id,
                    seat: seat, unitPrice: line.unitPrice, status: .valid, version: 1, token: try await keys.sign(claims, on: sql),
                    blockedReason: nil, blockedAt: nil, admittedAt: nil, admittedBy: nil, inside: false, createdAt: time)
                try await tickets.insert(ticket)
                issued.append(ticket)
            }
        }
        try await confirmation?.enqueue(order, event: event, tickets: issued, at: time, on: sql)
    }
}
