import Foundation
import PluginKit
import SQLKit

package struct OrderRepository: Sendable {
    let sql: any SQLDatabase
    package init(_ sql: any SQLDatabase) { self.sql = sql }

    struct Row: Decodable {
        let id: String, organizerId: String, eventId: String, status: String, seats: String, email: String, buyerName: String?
        let currency: String, total: Int64, refunded: Int64, provider: String, providerSession: String?, providerPayment: String?
        let checkoutUrl: String?, reviewReason: String?, disputeReason: String?, expiresAt: Int64, paidAt: Int64?
        let createdAt: Int64, updatedAt: Int64, feeBps: Int?, linesJson: String?, creditPackId: String?, creditAmount: Int64
    }

    struct LineRow: Decodable {
        let variantId: String, quantity: Int64, unitPrice: Int64
    }

    /// Writes the order with its lines; its fee rate is the organizer's at this moment.
    package func insert(_ order: Order, accessTokenHash: String) async throws {
        _ = try await sql.execute(InsertOrder(order: order, accessTokenHash: accessTokenHash))
        for line in order.lines {
            _ = try await sql.execute(InsertOrderLine(order: order.id.rawValue, organizer: order.organizerID.rawValue, line: line))
        }
    }

    package func find(_ id: OrderID) async throws -> Order? {
        try await load("WHERE id = \(bind: id.rawValue)").first
    }

    package func find(_ id: OrderID, organizer: OrganizerID) async throws -> Order? {
        try await load("WHERE id = \(bind: id.rawValue) AND organizer_id = \(bind: organizer.rawValue)").first
    }

    /// The order a provider's payment (charge, payment intent, capture) paid for.
    package func find(provider: String, paymentReference: String) async throws -> Order? {
        try await load("""
            WHERE provider = \(bind: provider) AND provider_payment = \(bind: paymentReference)
            ORDER BY id LIMIT 1
            """).first
    }

    /// The order if the credential matches, else nil (a wrong one looks like no order). The
    /// credential is the buyer's access token, one issued later (as for an email), or a buyer
    /// session of the order's email address that is still open at `now`.
    package func find(_ id: OrderID, accessTokenHash: String, at now: Timestamp) async throws -> Order? {
        try await load("""
            WHERE id = \(bind: id.rawValue) AND (access_token_hash = \(bind: accessTokenHash)
                OR EXISTS (SELECT 1 FROM order_access_tokens t WHERE t.order_id = orders.id AND t.token_hash = \(bind: accessTokenHash))
                OR EXISTS (SELECT 1 FROM buyer_sessions s WHERE s.token_hash = \(bind: accessTokenHash)
                           AND s.email = lower(orders.email) AND s.expires_at > \(bind: now.milliseconds)))
            """).first
    }

    /// Whether any order in `statuses` was placed with `email` (any case).
    func exists(email: String, statuses: [OrderStatus]) async throws -> Bool {
        try await sql.raw("""
            SELECT id FROM orders WHERE lower(email) = \(bind: BuyerEmail.normalized(email))
              AND status IN (\(binds: statuses.map(\.rawValue))) LIMIT 1
            """).first() != nil
    }

    /// Ticket orders placed with `email` (any case), newest first: what a signed-in buyer sees (credit
    /// pack purchases show in the wallet instead).
    package func list(email: String, statuses: [OrderStatus], limit: Int) async throws -> [Order] {
        try await load("""
            WHERE lower(email) = \(bind: BuyerEmail.normalized(email)) AND credit_pack_id IS NULL
              AND status IN (\(binds: statuses.map(\.rawValue))) ORDER BY id DESC LIMIT \(bind: limit)
            """)
    }

    /// A further access token to the order, for a link in an email; only its hash is kept.
    package func issueAccessToken(_ id: OrderID, purpose: String, at time: Timestamp) async throws -> String {
        let token = SecretToken.make(marker: "ord_tok_")
        try await sql.raw("""
            INSERT INTO order_access_tokens (token_hash, order_id, purpose, created_at)
            VALUES (\(bind: SecretToken.hash(token)), \(bind: id.rawValue), \(bind: purpose), \(bind: time.milliseconds))
            """).run()
        return token
    }

    package func list(event: EventID, organizer: OrganizerID, after: OrderID?, limit: Int) async throws -> [Order] {
        try await load("""
            WHERE event_id = \(bind: event.rawValue) AND organizer_id = \(bind: organizer.rawValue)
              AND id > \(bind: after?.rawValue ?? "") ORDER BY id LIMIT \(bind: limit)
            """)
    }

    /// The organizer's orders, newest first, before the cursor: `text` matches an order id exactly, or
    /// a part of the buyer's email or name (any case); `statuses` (none: all) and the placing time
    /// in [`from`, `to`) narrow it down.
    package func search(organizer: OrganizerID, event: EventID? = nil, text: String, statuses: [OrderStatus], from: Timestamp?, to: Timestamp?,
                        before: OrderID?, limit: Int) async throws -> [Order] {
        var clause: SQLQueryString = "WHERE organizer_id = \(bind: organizer.rawValue)"
        if let event { clause += " AND event_id = \(bind: event.rawValue)" }
        if !statuses.isEmpty { clause += " AND status IN (\(binds: statuses.map(\.rawValue)))" }
        if let from { clause += " AND created_at >= \(bind: from.milliseconds)" }
        if let to { clause += " AND created_at < \(bind: to.milliseconds)" }
        if let before { clause += " AND id < \(bind: before.rawValue)" }
        let needle = text.trimmingCharacters(in: .whitespaces).lowercased()
        if !needle.isEmpty {
            // LIKE's own characters in the text are matched as themselves.
            let pattern = "%" + needle.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_") + "%"
            clause += " AND (id = \(bind: needle) OR lower(email) LIKE \(bind: pattern) ESCAPE '\\' OR lower(buyer_name) LIKE \(bind: pattern) ESCAPE '\\')"
        }
        return try await load(clause + " ORDER BY id DESC LIMIT \(bind: limit)")
    }

    /// Pending orders whose reservation has run out, oldest first.
    func expiredHolds(now: Timestamp, limit: Int) async throws -> [OrderID] {
        struct IDRow: Decodable { let id: String }
        return try await sql.raw("""
            SELECT id FROM orders WHERE seats = 'held' AND status = 'pending' AND expires_at <= \(bind: now.milliseconds)
            ORDER BY expires_at LIMIT \(bind: limit)
            """).all(decoding: IDRow.self).map { try StoredValue.id($0.id) }
    }

    /// Moves the order from exactly (`status`, `seats`) to (`to`, `toSeats`); false when it was not in
    /// that state any more, so a second caller never repeats the first one's effects.
    func transition(_ id: OrderID, from status: OrderStatus, seats: SeatState, to newStatus: OrderStatus,
                           seats newSeats: SeatState, at time: Timestamp, paymentReference: String? = nil,
                           reviewReason: String? = nil) async throws -> Bool {
        try await sql.raw("""
            UPDATE orders SET status = \(bind: newStatus.rawValue), seats = \(bind: newSeats.rawValue),
                provider_payment = COALESCE(\(bind: paymentReference), provider_payment),
                review_reason = COALESCE(\(bind: reviewReason), review_reason),
                paid_at = CASE WHEN \(bind: newStatus.rawValue) = 'paid' THEN \(bind: time.milliseconds) ELSE paid_at END,
                updated_at = \(bind: time.milliseconds)
            WHERE id = \(bind: id.rawValue) AND status = \(bind: status.rawValue) AND seats = \(bind: seats.rawValue)
            RETURNING id
            """).first() != nil
    }

    /// Records a larger refunded total; false when the order had moved on (another update won).
    func recordRefunded(_ id: OrderID, from previous: Int64, to total: Int64, status: OrderStatus, seats: SeatState,
                               at time: Timestamp) async throws -> Bool {
        try await sql.raw("""
            UPDATE orders SET refunded = \(bind: total), status = \(bind: status.rawValue), seats = \(bind: seats.rawValue),
                updated_at = \(bind: time.milliseconds)
            WHERE id = \(bind: id.rawValue) AND refunded = \(bind: previous)
            RETURNING id
            """).first() != nil
    }

    /// Locks the orders' rows until the transaction ends, in id order, so that a change booked
    /// against them (a refund) waits for this transaction, or this one for it. SQLite's single
    /// writer already serializes transactions.
    func lock(_ ids: [OrderID]) async throws {
        guard !ids.isEmpty, DatabaseEngine(of: sql) == .postgres else { return }
        try await sql.raw("SELECT id FROM orders WHERE id IN (\(binds: ids.map(\.rawValue))) ORDER BY id FOR UPDATE").run()
    }

    /// Keeps a pending order's reservation until at least `until` while its payment is captured;
    /// false when the order no longer waits or its reservation has already run out.
    func holdForCapture(_ id: OrderID, until: Timestamp, now: Timestamp) async throws -> Bool {
        try await sql.raw("""
            UPDATE orders SET expires_at = CASE WHEN expires_at < \(bind: until.milliseconds) THEN \(bind: until.milliseconds) ELSE expires_at END,
                updated_at = \(bind: now.milliseconds)
            WHERE id = \(bind: id.rawValue) AND status = 'pending' AND seats = 'held' AND expires_at > \(bind: now.milliseconds)
            RETURNING id
            """).first() != nil
    }

    /// Gives a pending order its reservation's end back after a capture that took nothing, unless
    /// something else moved it since (`held` is what `holdForCapture` set).
    func releaseCaptureHold(_ id: OrderID, held: Timestamp, back previous: Timestamp, now: Timestamp) async throws {
        try await sql.raw("""
            UPDATE orders SET expires_at = \(bind: previous.milliseconds), updated_at = \(bind: now.milliseconds)
            WHERE id = \(bind: id.rawValue) AND status = 'pending' AND seats = 'held' AND expires_at = \(bind: held.milliseconds)
            """).run()
    }

    func setCheckout(_ id: OrderID, session: String, url: String, at time: Timestamp) async throws {
        _ = try await sql.execute(SetCheckout(order: id.rawValue, session: session, url: url, at: time.milliseconds))
    }

    /// PostgreSQL only: the checkout session and the answer of the Idempotency-Key `key` of `scope` in one statement.
    func setCheckout(_ id: OrderID, session: String, url: String, at time: Timestamp, answeringKey key: String, of scope: String,
                     with response: StoredResponse) async throws {
        _ = try await sql.execute(SetCheckoutAndAnswer(order: id.rawValue, session: session, url: url, at: time.milliseconds,
                                                       scope: scope, key: key, status: Int64(response.status), body: response.body))
    }

    func flagDispute(_ id: OrderID, reason: String, at time: Timestamp) async throws -> Bool {
        try await sql.raw("""
            UPDATE orders SET dispute_reason = \(bind: reason), updated_at = \(bind: time.milliseconds)
            WHERE id = \(bind: id.rawValue) AND dispute_reason IS NULL RETURNING id
            """).first() != nil
    }

    /// The orders of `clause` (what follows `FROM orders`), each read with its lines in the same
    /// statement: every payment loads its order, and on SQLite each statement costs about as much as
    /// the work it does.
    private func load(_ clause: SQLQueryString) async throws -> [Order] {
        let lines: SQLQueryString = DatabaseEngine(of: sql) == .postgres
            ? "(SELECT json_agg(json_build_object('variant_id', l.variant_id, 'quantity', l.quantity, 'unit_price', l.unit_price))::text FROM order_lines l WHERE l.order_id = orders.id)"
            : "(SELECT json_group_array(json_object('variant_id', l.variant_id, 'quantity', l.quantity, 'unit_price', l.unit_price)) FROM order_lines l WHERE l.order_id = orders.id)"
        let rows = try await sql.raw("SELECT orders.*, \(lines) AS lines_json FROM orders " + clause)
            .all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try rows.map { row in
            let currency = try StoredValue.currency(row.currency)
            var order = Order(
                id: try StoredValue.id(row.id), organizerID: try StoredValue.id(row.organizerId), eventID: try StoredValue.id(row.eventId),
                status: try StoredValue.enum(row.status), seats: try StoredValue.enum(row.seats), email: row.email,
                buyerName: row.buyerName, total: Money(minorUnits: row.total, currency: currency), refunded: row.refunded,
                provider: row.provider, providerSession: row.providerSession, providerPayment: row.providerPayment,
                checkoutURL: row.checkoutUrl, reviewReason: row.reviewReason, disputeReason: row.disputeReason,
                expiresAt: Timestamp(milliseconds: row.expiresAt), paidAt: StoredValue.timestamp(row.paidAt),
                createdAt: Timestamp(milliseconds: row.createdAt), updatedAt: Timestamp(milliseconds: row.updatedAt),
                lines: try decoder.decode([LineRow].self, from: Data((row.linesJson ?? "[]").utf8)).sorted { $0.variantId < $1.variantId }.map {
                    OrderLine(variantID: try StoredValue.id($0.variantId), quantity: $0.quantity, unitPrice: $0.unitPrice)
                })
            order.feeBasisPoints = row.feeBps
            order.creditPackID = try row.creditPackId.map { try StoredValue.id($0) }
            order.creditAmount = row.creditAmount
            return order
        }
    }
}

private struct InsertOrder: PreparedStatement {
    static let name = "platform_insert_order"
    static let sql = """
        INSERT INTO orders (id, organizer_id, event_id, status, seats, email, buyer_name, currency, total, refunded, provider,
                            access_token_hash, expires_at, created_at, updated_at, credit_pack_id, credit_amount, fee_bps)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11, $12, $13, $14, $15, $16,
                COALESCE((SELECT fee_bps FROM organizers WHERE id = $2), $17))
        """
    let order: Order, accessTokenHash: String
    var values: [StatementValue] {
        [.text(order.id.rawValue), .text(order.organizerID.rawValue), .text(order.eventID.rawValue), .text(order.status.rawValue),
         .text(order.seats.rawValue), .text(order.email), .text(order.buyerName), .text(order.total.currency.code), .integer(order.total.minorUnits),
         .text(order.provider), .text(accessTokenHash), .integer(order.expiresAt.milliseconds), .integer(order.createdAt.milliseconds),
         .integer(order.updatedAt.milliseconds), .text(order.creditPackID?.rawValue), .integer(order.creditAmount),
         .integer(Int64(FeePolicy.standard.basisPoints))]
    }
}

private struct InsertOrderLine: PreparedStatement {
    static let name = "platform_insert_order_line"
    static let sql = "INSERT INTO order_lines (order_id, organizer_id, variant_id, quantity, unit_price) VALUES ($1, $2, $3, $4, $5)"
    let order: String, organizer: String, line: OrderLine
    var values: [StatementValue] { [.text(order), .text(organizer), .text(line.variantID.rawValue), .integer(line.quantity), .integer(line.unitPrice)] }
}

private struct SetCheckout: PreparedStatement {
    static let name = "platform_set_checkout"
    static let sql = "UPDATE orders SET provider_session = $2, checkout_url = $3, updated_at = $4 WHERE id = $1"
    let order: String, session: String, url: String, at: Int64
    var values: [StatementValue] { [.text(order), .text(session), .text(url), .integer(at)] }
}

private struct SetCheckoutAndAnswer: PreparedStatement {
    static let name = "platform_set_checkout_and_answer"
    static let sql = """
        WITH checkout AS (UPDATE orders SET provider_session = $2, checkout_url = $3, updated_at = $4 WHERE id = $1)
        UPDATE idempotency_keys SET state = 'done', response_status = $7, response_body = $8 WHERE scope = $5 AND idempotency_key = $6
        """
    let order: String, session: String, url: String, at: Int64, scope: String, key: String, status: Int64, body: String
    var values: [StatementValue] {
        [.text(order), .text(session), .text(url), .integer(at), .text(scope), .text(key), .integer(status), .text(body)]
    }
}
