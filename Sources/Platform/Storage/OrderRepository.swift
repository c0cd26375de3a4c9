import Foundation
import PluginKit
import SQLKit

package struct OrderRepository: Sendable {
    let sql: any SQLDatabase
    package init(_ sql: any SQLDatabase) { self.sql = sql }

    /// The columns `order(_:)` reads, in its order; the last is the order's lines as text,
    /// `variant quantity unit_price` joined by commas (ids hold neither), read in the same statement
    /// because every payment loads its order. `string_agg` is PostgreSQL's and SQLite's (3.44).
    static let columnList = """
        id, organizer_id, event_id, status, seats, email, buyer_name, currency, total, refunded, provider, provider_session,
        provider_payment, checkout_url, review_reason, dispute_reason, expires_at, paid_at, created_at, updated_at, fee_bps,
        credit_pack_id, credit_amount,
        (SELECT string_agg(l.variant_id || ' ' || l.quantity || ' ' || l.unit_price, ',') FROM order_lines l WHERE l.order_id = orders.id)
        """

    /// A row of `columnList`, in that order.
    /// - Throws: `StoredValue.Corrupt` for a value that does not parse, `StatementColumnsError` for a short row.
    static func order(_ row: inout StatementColumns) throws -> Order {
        let id: OrderID = try StoredValue.id(row.text()), organizer: OrganizerID = try StoredValue.id(row.text())
        let event: EventID = try StoredValue.id(row.text())
        let status: OrderStatus = try StoredValue.enum(row.text()), seats: SeatState = try StoredValue.enum(row.text())
        let (email, buyerName, currency) = (try row.text(), try row.optionalText(), try StoredValue.currency(row.text()))
        let (total, refunded, provider) = (try row.integer(), try row.integer(), try row.text())
        let (session, payment, checkoutURL) = (try row.optionalText(), try row.optionalText(), try row.optionalText())
        let (reviewReason, disputeReason) = (try row.optionalText(), try row.optionalText())
        let (expiresAt, paidAt, createdAt, updatedAt) = (try row.integer(), try row.optionalInteger(), try row.integer(), try row.integer())
        let (fee, pack, credit, lines) = (try row.optionalInteger(), try row.optionalText(), try row.integer(), try row.optionalText())
        var order = Order(
            id: id, organizerID: organizer, eventID: event, status: status, seats: seats, email: email, buyerName: buyerName,
            total: Money(minorUnits: total, currency: currency), refunded: refunded, provider: provider, providerSession: session,
            providerPayment: payment, checkoutURL: checkoutURL, reviewReason: reviewReason, disputeReason: disputeReason,
            expiresAt: Timestamp(milliseconds: expiresAt), paidAt: StoredValue.timestamp(paidAt), createdAt: Timestamp(milliseconds: createdAt),
            updatedAt: Timestamp(milliseconds: updatedAt), lines: try Self.lines(lines ?? ""))
        order.feeBasisPoints = fee.map { Int($0) }
        order.creditPackID = try pack.map { try StoredValue.id($0) }
        order.creditAmount = credit
        return order
    }

    /// The lines of `columnList`'s last column, by variant id.
    private static func lines(_ text: String) throws -> [OrderLine] {
        try text.split(separator: ",").map { line in
            let parts = line.split(separator: " ")
            guard parts.count == 3, let quantity = Int64(parts[1]), let unitPrice = Int64(parts[2]) else {
                throw StoredValue.Corrupt(description: "stored order line '\(line)' is malformed")
            }
            return OrderLine(variantID: try StoredValue.id(String(parts[0])), quantity: quantity, unitPrice: unitPrice)
        }.sorted { $0.variantID.rawValue < $1.variantID.rawValue }
    }

    /// Writes the order with its lines; its fee rate is the organizer's at this moment.
    package func insert(_ order: Order, accessTokenHash: String) async throws {
        if order.lines.count == 1, DatabaseEngine(of: sql) == .postgres {
            _ = try await sql.execute(InsertOrderWithLine(order: order, accessTokenHash: accessTokenHash))
            return
        }
        _ = try await sql.execute(InsertOrder(order: order, accessTokenHash: accessTokenHash))
        for line in order.lines {
            _ = try await sql.execute(InsertOrderLine(order: order.id.rawValue, organizer: order.organizerID.rawValue, line: line))
        }
    }

    /// In a batch of checkouts (`BatchWrites`), the order and its lines join the batch's inserts,
    /// with its organizer's fee read once per batch (`BatchReads`); outside one, `insert`.
    func insertInBatch(_ order: Order, accessTokenHash: String) async throws {
        guard BatchWrites.current != nil else { return try await insert(order, accessTokenHash: accessTokenHash) }
        let fee = try await BatchReads.value("organizer-fee:\(order.organizerID)") {
            try await sql.raw("SELECT fee_bps FROM organizers WHERE id = \(bind: order.organizerID.rawValue)").first()?
                .decode(column: "fee_bps", as: Int64?.self) ?? nil
        } ?? Int64(FeePolicy.standard.basisPoints)
        let values = InsertOrder(order: order, accessTokenHash: accessTokenHash).values.dropLast().map(\.bound) + [fee]
        try await BatchWrites.insert(BatchedInsert(Self.batchedOrderHead, row: values), on: sql)
        for line in order.lines {
            let values = InsertOrderLine(order: order.id.rawValue, organizer: order.organizerID.rawValue, line: line).values.map(\.bound)
            try await BatchWrites.insert(BatchedInsert(Self.batchedLineHead, row: values), on: sql)
        }
    }

    private static let batchedOrderHead = """
        INSERT INTO orders (id, organizer_id, event_id, status, seats, email, buyer_name, currency, total, provider, \
        access_token_hash, expires_at, created_at, updated_at, credit_pack_id, credit_amount, fee_bps) VALUES
        """
    private static let batchedLineHead = "INSERT INTO order_lines (order_id, organizer_id, variant_id, quantity, unit_price) VALUES"

    /// On PostgreSQL, writes an order of one line in the statement that takes its seats (the
    /// conditional update of `InventoryRepository.reserve`), one round trip instead of three: the
    /// order and its line are written only if the seats were taken. False, with nothing written,
    /// when fewer seats are left than the line asks for.
    package func insertTakingSeats(_ order: Order, accessTokenHash: String) async throws -> Bool {
        precondition(order.lines.count == 1, "one line only")
        let placed = try await !sql.execute(InsertOrderTakingSeats(order: order, accessTokenHash: accessTokenHash)).isEmpty
        if placed { CatalogChanges.note() }
        return placed
    }

    /// The order, or in an inbox batch the row its start read for it (`BatchReads.prefetchOrders`).
    package func find(_ id: OrderID) async throws -> Order? {
        if let prefetched = BatchReads.takeOrder(id) { return prefetched }
        return try await sql.execute(FindOrder(id: id)).first
    }

    /// The orders of `ids` that exist, in id order.
    func findAll(_ ids: [OrderID]) async throws -> [Order] {
        guard !ids.isEmpty else { return [] }
        return try await load("WHERE id IN (\(binds: ids.map(\.rawValue))) ORDER BY id")
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

    /// A further access token to the order, for a link in an email; only its hash is kept. Inside an
    /// inbox batch it is written with the batch's other tokens (`BatchWrites`).
    package func issueAccessToken(_ id: OrderID, purpose: String, at time: Timestamp) async throws -> String {
        let token = SecretToken.make(marker: "ord_tok_")
        try await BatchWrites.insert(BatchedInsert("INSERT INTO order_access_tokens (token_hash, order_id, purpose, created_at) VALUES",
                                                   row: [SecretToken.hash(token), id.rawValue, purpose, time.milliseconds]), on: sql)
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

    /// PostgreSQL only: the checkout sessions of several orders and the answers of their
    /// Idempotency-Keys, in one statement (one commit outside a transaction).
    func setCheckouts(_ checkouts: [RecordedCheckout]) async throws {
        var rows = SQLQueryString("")
        for (index, checkout) in checkouts.enumerated() {
            rows += index == 0 ? "(" : ", ("
            // Typed in every row: a NULL key in the first would leave its column untyped.
            rows += """
                \(bind: checkout.order.rawValue)::text, \(bind: checkout.session)::text, \(bind: checkout.url)::text, \
                \(bind: checkout.at.milliseconds)::bigint, \(bind: checkout.key?.scope)::text, \(bind: checkout.key?.key)::text, \
                \(bind: Int64(checkout.response.status))::bigint, \(bind: checkout.response.body)::text)
                """
        }
        let query: SQLQueryString = """
            WITH checkout (order_id, session, url, updated_at, scope, idempotency_key, status, body) AS (VALUES \(rows)),
            sessions AS (UPDATE orders SET provider_session = checkout.session, checkout_url = checkout.url, updated_at = checkout.updated_at
                         FROM checkout WHERE orders.id = checkout.order_id)
            UPDATE idempotency_keys SET state = 'done', response_status = checkout.status, response_body = checkout.body
            FROM checkout WHERE idempotency_keys.scope = checkout.scope AND idempotency_keys.idempotency_key = checkout.idempotency_key
            """
        // The text changes with the count of orders: not worth a prepared statement each.
        try await AutoPrepared.unnamed { try await sql.raw(query).run() }
    }

    func flagDispute(_ id: OrderID, reason: String, at time: Timestamp) async throws -> Bool {
        try await sql.raw("""
            UPDATE orders SET dispute_reason = \(bind: reason), updated_at = \(bind: time.milliseconds)
            WHERE id = \(bind: id.rawValue) AND dispute_reason IS NULL RETURNING id
            """).first() != nil
    }

    /// The orders of `clause` (what follows `FROM orders`), each read with its lines.
    private func load(_ clause: SQLQueryString) async throws -> [Order] {
        try await sql.raw("SELECT \(unsafeRaw: Self.columnList) FROM orders " + clause).all().map { row in
            var columns = StatementColumns(row)
            return try Self.order(&columns)
        }
    }
}

/// Every payment, refund and order page reads its order by id, so this is prepared.
private struct FindOrder: PreparedStatement {
    static let name = "platform_find_order"
    static let sql = "SELECT \(OrderRepository.columnList) FROM orders WHERE id = $1"
    let id: OrderID
    var values: [StatementValue] { [.text(id.rawValue)] }

    static func row(_ columns: inout StatementColumns) throws -> Order { try OrderRepository.order(&columns) }
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

/// `InsertOrder`, its one line and `ReserveSeats` in one statement: the seats are taken first
/// (`seats`), the order written only where they were (`placed`), then its line, whose row is the
/// answer. The line's foreign key to the order is checked at COMMIT (migration 0024), when the order
/// is there.
private struct InsertOrderTakingSeats: PreparedStatement {
    static let name = "platform_insert_order_taking_seats"
    static let sql = """
        WITH seats AS (
            UPDATE ticket_variants SET reserved = reserved + $19 WHERE id = $18 AND sold + reserved + $19 <= quota RETURNING id
        ), placed AS (
            INSERT INTO orders (id, organizer_id, event_id, status, seats, email, buyer_name, currency, total, refunded, provider,
                                access_token_hash, expires_at, created_at, updated_at, credit_pack_id, credit_amount, fee_bps)
            SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11, $12, $13, $14, $15, $16,
                   COALESCE((SELECT fee_bps FROM organizers WHERE id = $2), $17)
            WHERE EXISTS (SELECT 1 FROM seats)
            RETURNING id
        )
        INSERT INTO order_lines (order_id, organizer_id, variant_id, quantity, unit_price)
        SELECT id, $2, $18, $19, $20 FROM placed RETURNING order_id
        """
    let order: Order, accessTokenHash: String
    var values: [StatementValue] {
        let line = order.lines[0]
        return InsertOrder(order: order, accessTokenHash: accessTokenHash).values
            + [.text(line.variantID.rawValue), .integer(line.quantity), .integer(line.unitPrice)]
    }
}

/// `InsertOrder` and its one line in one statement, on PostgreSQL (as `InsertOrderTakingSeats`,
/// whose seats are taken elsewhere).
private struct InsertOrderWithLine: PreparedStatement {
    static let name = "platform_insert_order_with_line"
    static let sql = """
        WITH placed AS (
            INSERT INTO orders (id, organizer_id, event_id, status, seats, email, buyer_name, currency, total, refunded, provider,
                                access_token_hash, expires_at, created_at, updated_at, credit_pack_id, credit_amount, fee_bps)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11, $12, $13, $14, $15, $16,
                    COALESCE((SELECT fee_bps FROM organizers WHERE id = $2), $17))
            RETURNING id
        )
        INSERT INTO order_lines (order_id, organizer_id, variant_id, quantity, unit_price)
        SELECT id, $2, $18, $19, $20 FROM placed
        """
    let order: Order, accessTokenHash: String
    var values: [StatementValue] { InsertOrderTakingSeats(order: order, accessTokenHash: accessTokenHash).values }
}

private struct InsertOrderLine: PreparedStatement {
    static let name = "platform_insert_order_line"
    static let sql = "INSERT INTO order_lines (order_id, organizer_id, variant_id, quantity, unit_price) VALUES ($1, $2, $3, $4, $5)"
    let order: String, organizer: String, line: OrderLine
    var values: [StatementValue] { [.text(order), .text(organizer), .text(line.variantID.rawValue), .integer(line.quantity), .integer(line.unitPrice)] }
}

/// What the last step of a checkout records for its order: the provider's checkout session, and
/// the answer its Idempotency-Key (`scope`, `key`; nil without one) replays from then on.
struct RecordedCheckout: Sendable {
    let order: OrderID
    let session: String
    let url: String
    let at: Timestamp
    let key: (scope: String, key: String)?
    let response: StoredResponse
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
