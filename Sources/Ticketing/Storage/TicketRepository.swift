import Platform
import SQLKit

struct TicketRepository: Sendable {
    let sql: any SQLDatabase
    init(_ sql: any SQLDatabase) { self.sql = sql }

    static let columnList = """
        id, organizer_id, event_id, variant_id, order_id, seat, unit_price, status, version, token, blocked_reason, blocked_at,
        admitted_at, admitted_by, inside, created_at
        """
    static let columns: SQLQueryString = "\(unsafeRaw: columnList)"

    /// A row of `columns`, in that order.
    static func ticket(_ row: inout StatementColumns) throws -> Ticket {
        Ticket(id: try StoredValue.id(row.text()), organizerID: try StoredValue.id(row.text()), eventID: try StoredValue.id(row.text()),
               variantID: try StoredValue.id(row.text()), orderID: try StoredValue.id(row.text()), seat: try row.integer(),
               unitPrice: try row.integer(), status: try StoredValue.enum(row.text()), version: try row.integer(), token: try row.text(),
               blockedReason: try row.optionalText(), blockedAt: try row.optionalInteger().map(Timestamp.init(milliseconds:)),
               admittedAt: try row.optionalInteger().map(Timestamp.init(milliseconds:)), admittedBy: try row.optionalText(),
               inside: try row.integer() == 1, createdAt: Timestamp(milliseconds: try row.integer()))
    }

    private func load(_ query: SQLQueryString) async throws -> [Ticket] {
        try await sql.raw(query).all().map { row in
            var columns = StatementColumns(row)
            return try Self.ticket(&columns)
        }
    }

    /// Inserts the ticket; in an inbox batch, with the batch's other tickets when it ends (`BatchWrites`).
    func insert(_ ticket: Ticket) async throws {
        try await BatchWrites.insert(BatchedInsert("""
            INSERT INTO tickets (id, organizer_id, event_id, variant_id, order_id, seat, unit_price, status, version, token,
                                 created_at, updated_at)
            VALUES
            """, row: [ticket.id.rawValue, ticket.organizerID.rawValue, ticket.eventID.rawValue, ticket.variantID.rawValue,
                       ticket.orderID.rawValue, ticket.seat, ticket.unitPrice, ticket.status.rawValue, ticket.version, ticket.token,
                       ticket.createdAt.milliseconds, ticket.createdAt.milliseconds]), on: sql)
    }

    func find(_ id: TicketID) async throws -> Ticket? {
        try await sql.execute(FindTicket(id: id)).first
    }

    /// The ticket, whether an enabled webhook endpoint of its organizer subscribes to admissions,
    /// and the label of the device that first admitted it (nil if none did): the one read of an
    /// entry at the door.
    func findForEntry(_ id: TicketID) async throws -> (ticket: Ticket, published: Bool, admittedByLabel: String?)? {
        try await sql.execute(FindTicketForEntry(id: id)).first
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

    /// The conditional update behind an entry whose token's signature was checked (a token as
    /// issued goes through `Admission`): it succeeds for a valid, unblocked ticket of this
    /// organizer and event that is not inside, keeping the time and device of the first admission.
    func admit(_ claims: TicketClaims, organizer: OrganizerID, device: String, at time: Timestamp) async throws -> Ticket? {
        try await sql.execute(AdmitTicket(claims: claims, organizer: organizer, device: device, time: time)).first
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
            """).all(decoding: VariantCounts.self, keyDecodingStrategy: .snakeCaseColumns)
    }
}

/// Every scan reads its ticket, so this is prepared.
private struct FindTicket: PreparedStatement {
    static let name = "ticketing_find_ticket"
    static let sql = "SELECT \(TicketRepository.columnList) FROM tickets WHERE id = $1"
    let id: TicketID
    var values: [StatementValue] { [.text(id.rawValue)] }

    static func row(_ columns: inout StatementColumns) throws -> Ticket { try TicketRepository.ticket(&columns) }
}

private struct FindTicketForEntry: PreparedStatement {
    static let name = "ticketing_find_ticket_for_entry"
    static let sql = """
        SELECT \(TicketRepository.columnList),
            CAST(CASE WHEN EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.organizer_id = tickets.organizer_id AND w.status = 'enabled'
                                   AND w.events LIKE '%,ticket.admitted,%') THEN 1 ELSE 0 END AS BIGINT) AS published,
            (SELECT a.label FROM api_keys a WHERE a.id = tickets.admitted_by) AS admitted_by_label
        FROM tickets WHERE id = $1
        """
    let id: TicketID
    var values: [StatementValue] { [.text(id.rawValue)] }

    static func row(_ columns: inout StatementColumns) throws -> (ticket: Ticket, published: Bool, admittedByLabel: String?) {
        let ticket = try TicketRepository.ticket(&columns)
        return (ticket, try columns.integer() == 1, try columns.optionalText())
    }
}

/// The conditional update of an entry that the full check decided, so it is prepared.
private struct AdmitTicket: PreparedStatement {
    static let name = "ticketing_admit"
    static let sql = """
        UPDATE tickets SET inside = 1, admitted_at = COALESCE(admitted_at, $1), admitted_by = COALESCE(admitted_by, $2), updated_at = $1
        WHERE id = $3 AND organizer_id = $4 AND event_id = $5 AND version = $6 AND status = 'valid' AND blocked_at IS NULL AND inside = 0
        RETURNING \(TicketRepository.columnList)
        """
    let claims: TicketClaims, organizer: OrganizerID, device: String, time: Timestamp

    var values: [StatementValue] {
        [.integer(time.milliseconds), .text(device), .text(claims.sub), .text(organizer.rawValue), .text(claims.evt), .integer(claims.ver)]
    }

    static func row(_ columns: inout StatementColumns) throws -> Ticket { try TicketRepository.ticket(&columns) }
}
