import Platform
import SQLKit

struct TicketRepository: Sendable {
    let sql: any SQLDatabase
    init(_ sql: any SQLDatabase) { self.sql = sql }

    static let columns: SQLQueryString = """
        id, organizer_id, event_id, variant_id, order_id, seat, unit_price, status, version, token, blocked_reason, blocked_at,
        admitted_at, admitted_by, inside, created_at
        """

    struct Row: Decodable {
        let id: String, organizerId: String, eventId: String, variantId: String, orderId: String
        let seat: Int64, unitPrice: Int64, status: String, version: Int64, token: String
        let blockedReason: String?, blockedAt: Int64?, admittedAt: Int64?, admittedBy: String?, inside: Int64, createdAt: Int64

        // Spelled out: converting every key from snake case on each row showed high in the scan profile.
        enum CodingKeys: String, CodingKey {
            case id, organizerId = "organizer_id", eventId = "event_id", variantId = "variant_id", orderId = "order_id", seat
            case unitPrice = "unit_price", status, version, token, blockedReason = "blocked_reason", blockedAt = "blocked_at"
            case admittedAt = "admitted_at", admittedBy = "admitted_by", inside, createdAt = "created_at"
        }

        func ticket() throws -> Ticket {
            Ticket(id: try StoredValue.id(id), organizerID: try StoredValue.id(organizerId), eventID: try StoredValue.id(eventId),
                   variantID: try StoredValue.id(variantId), orderID: try StoredValue.id(orderId), seat: seat, unitPrice: unitPrice,
                   status: try StoredValue.enum(status), version: version, token: token, blockedReason: blockedReason,
                   blockedAt: blockedAt.map(Timestamp.init(milliseconds:)), admittedAt: admittedAt.map(Timestamp.init(milliseconds:)),
                   admittedBy: admittedBy, inside: inside == 1, createdAt: Timestamp(milliseconds: createdAt))
        }
    }

    private func load(_ query: SQLQueryString) async throws -> [Ticket] {
        try await sql.raw(query).all(decoding: Row.self).map { try $0.ticket() }
    }

    func insert(_ ticket: Ticket) async throws {
        try await sql.raw("""
            INSERT INTO tickets (id, organizer_id, event_id, variant_id, order_id, seat, unit_price, status, version, token,
                                 created_at, updated_at)
            VALUES (\(bind: ticket.id.rawValue), \(bind: ticket.organizerID.rawValue), \(bind: ticket.eventID.rawValue),
                    \(bind: ticket.variantID.rawValue), \(bind: ticket.orderID.rawValue), \(bind: ticket.seat), \(bind: ticket.unitPrice),
                    \(bind: ticket.status.rawValue), \(bind: ticket.version), \(bind: ticket.token), \(bind: ticket.createdAt.milliseconds),
                    \(bind: ticket.createdAt.milliseconds))
            """).run()
    }

    func find(_ id: TicketID) async throws -> Ticket? {
        try await load("SELECT \(Self.columns) FROM tickets WHERE id = \(bind: id.rawValue)").first
    }

    func forOrder(_ order: OrderID) async throws -> [Ticket] {
        try await load("SELECT \(Self.columns) FROM tickets WHERE order_id = \(bind: order.rawValue) ORDER BY seat")
    }

    /// The tickets of several orders, in order and seat order.
    func forOrders(_ orders: [OrderID]) async throws -> [Ticket] {
        guard !orders.isEmpty else { return [] }
        return try await load("""
            SELECT \(Self.columns) FROM tickets WHERE order_id IN (\(binds: orders.map(\.rawValue))) ORDER BY order_id, seat
            """)
    }

    func forEvent(_ event: EventID) async throws -> [Ticket] {
        try await load("SELECT \(Self.columns) FROM tickets WHERE event_id = \(bind: event.rawValue) ORDER BY id")
    }

    /// Moves the order's tickets in `from` (all of them, or the named ones) to `to`; returns how many moved.
    @discardableResult
    func setStatus(order: OrderID, ids: [TicketID]? = nil, from: TicketStatus, to: TicketStatus, at time: Timestamp) async throws -> Int {
        var query: SQLQueryString = """
            UPDATE tickets SET status = \(bind: to.rawValue), inside = 0, updated_at = \(bind: time.milliseconds)
            WHERE order_id = \(bind: order.rawValue) AND status = \(bind: from.rawValue)
            """
        if let ids {
            guard !ids.isEmpty else { return 0 }
            query += " AND id IN (\(binds: ids.map(\.rawValue)))"
        }
        query += " RETURNING id"
        return try await sql.raw(query).all().count
    }

    /// The one conditional update behind an entry: it succeeds for a valid, unblocked ticket of this
    /// organizer and event that is not inside, keeping the time and device of the first admission.
    func admit(_ claims: TicketClaims, organizer: OrganizerID, device: String, at time: Timestamp) async throws -> Ticket? {
        try await load("""
            UPDATE tickets SET inside = 1, admitted_at = COALESCE(admitted_at, \(bind: time.milliseconds)),
                admitted_by = COALESCE(admitted_by, \(bind: device)), updated_at = \(bind: time.milliseconds)
            WHERE id = \(bind: claims.sub) AND organizer_id = \(bind: organizer.rawValue) AND event_id = \(bind: claims.evt)
              AND version = \(bind: claims.ver) AND status = 'valid' AND blocked_at IS NULL AND inside = 0
            RETURNING \(Self.columns)
            """).first
    }

    func exit(_ id: TicketID, at time: Timestamp) async throws -> Ticket? {
        try await load("""
            UPDATE tickets SET inside = 0, updated_at = \(bind: time.milliseconds)
            WHERE id = \(bind: id.rawValue) AND status = 'valid' AND inside = 1
            RETURNING \(Self.columns)
            """).first
    }

    /// An offline admission at `time` becomes the first one unless an earlier one is recorded.
    func admitIfEarliest(_ id: TicketID, device: String, at time: Timestamp) async throws -> Bool {
        try await sql.raw("""
            UPDATE tickets SET admitted_at = \(bind: time.milliseconds), admitted_by = \(bind: device), inside = 1
            WHERE id = \(bind: id.rawValue) AND (admitted_at IS NULL OR admitted_at > \(bind: time.milliseconds))
            RETURNING id
            """).first() != nil
    }

    func setBlocked(_ id: TicketID, reason: String?, at time: Timestamp) async throws {
        try await sql.raw("""
            UPDATE tickets SET blocked_reason = \(bind: reason), blocked_at = \(bind: reason == nil ? nil : time.milliseconds),
                updated_at = \(bind: time.milliseconds)
            WHERE id = \(bind: id.rawValue)
            """).run()
    }

    func logBlock(_ id: TicketID, action: String, reason: String, actor: String, at time: Timestamp) async throws {
        try await sql.raw("""
            INSERT INTO ticket_blocks (ticket_id, action, reason, actor, at)
            VALUES (\(bind: id.rawValue), \(bind: action), \(bind: reason), \(bind: actor), \(bind: time.milliseconds))
            """).run()
    }

    struct VariantCounts: Decodable {
        let variantId: String, sold: Int64, admitted: Int64, inside: Int64
    }

    /// Valid tickets, and of those the admitted ones and the ones inside now, per variant.
    func counts(event: EventID) async throws -> [VariantCounts] {
        try await sql.raw("""
            SELECT variant_id,
                   SUM(CASE WHEN status = 'valid' THEN 1 ELSE 0 END) AS sold,
                   SUM(CASE WHEN status = 'valid' AND admitted_at IS NOT NULL THEN 1 ELSE 0 END) AS admitted,
                   SUM(CASE WHEN status = 'valid' AND inside = 1 THEN 1 ELSE 0 END) AS inside
            FROM tickets WHERE event_id = \(bind: event.rawValue) GROUP BY variant_id
            """).all(decoding: VariantCounts.self, keyDecodingStrategy: .convertFromSnakeCase)
    }
}
