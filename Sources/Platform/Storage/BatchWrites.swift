import SQLKit
import Synchronization

/// One row of an INSERT that an inbox batch may write together with its others: `head` is the
/// statement up to and including `VALUES`, `tail` what follows the rows (an `ON CONFLICT` clause).
/// Both are SQL as written, so they must be literals of the code, never input.
package struct BatchedInsert: Sendable {
    let head: String
    let row: [any Encodable & Sendable]
    let tail: String

    package init(_ head: String, row: [any Encodable & Sendable], tail: String = "") {
        self.head = head
        self.row = row
        self.tail = tail
    }
}

/// Rows a batch's commands insert and nothing in the batch reads back (a paid order's tickets, the
/// access token of its confirmation, the email in the outbox, audit entries, the ledger transfers
/// of its payment), written with one
/// multi-row INSERT per statement instead of one each: when the batch ends, and before any command
/// other than a payment applies, since a refund may read the tickets. Set by `InboxWorker` with
/// `BatchReads`, and around a batch of checkouts (`Checkout.reserve(_:on:clock:)`: their pending
/// orders and lines, audit entries, and what an order paid at once writes); outside a batch every
/// insert runs at once. A batch is one transaction, so its
/// rows still appear together or not at all. A kept row is written on the connection `flush` is
/// given, not the one `insert` was: only the batch's own transaction may insert while it is set.
package final class BatchWrites: Sendable {
    @TaskLocal static var current: BatchWrites?

    /// The most rows per statement: far below PostgreSQL's 65,535 bound values for any of these tables.
    static let rowsPerStatement = 256

    private struct Pending {
        let head: String, tail: String
        var rows: [[any Encodable & Sendable]]
    }

    /// In the order each statement was first asked for, so tables are written in the order a
    /// single payment writes them.
    private let pending = Mutex<[Pending]>([])
    /// Posted through `LedgerRepository.post` at the flush, so its repeat check still runs.
    private let transfers = Mutex<[Transfer]>([])

    /// Keeps a payment's transfers for the flush when a batch is under way; false outside one.
    static func keep(_ new: [Transfer]) -> Bool {
        guard let writes = current else { return false }
        writes.transfers.withLock { $0.append(contentsOf: new) }
        return true
    }

    /// Runs `insert` now, or keeps its row for the batch's statement of the same head and tail.
    package static func insert(_ insert: BatchedInsert, on sql: any SQLDatabase) async throws {
        guard let writes = current else { return try await sql.raw(statement(insert.head, [insert.row], insert.tail)).run() }
        writes.pending.withLock { pending in
            if let index = pending.firstIndex(where: { $0.head == insert.head && $0.tail == insert.tail }) {
                pending[index].rows.append(insert.row)
            } else {
                pending.append(Pending(head: insert.head, tail: insert.tail, rows: [insert.row]))
            }
        }
    }

    /// Writes every kept row on `sql` (the batch's transaction) and forgets them.
    /// - Throws: what the database throws for an insert, or `LedgerConflict`; the caller's
    ///   transaction then rolls back.
    func flush(on sql: any SQLDatabase) async throws {
        let taken = pending.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
        let postings = transfers.withLock { transfers in
            defer { transfers.removeAll() }
            return transfers
        }
        for chunk in postings.chunks(of: Self.rowsPerStatement) {
            try await AutoPrepared.unnamed { try await LedgerRepository(sql).post(chunk) }
        }
        for statement in taken {
            for rows in statement.rows.chunks(of: Self.rowsPerStatement) {
                let query = Self.statement(statement.head, rows, statement.tail)
                // A row alone has the text of the insert outside a batch. Rows together make a new
                // text for nearly every batch (their count, their NULLs), not worth a name each.
                if rows.count == 1 {
                    try await sql.raw(query).run()
                } else {
                    try await AutoPrepared.unnamed { try await sql.raw(query).run() }
                }
            }
        }
    }

    /// `head`, the rows, then `tail`.
    static func statement(_ head: String, _ rows: [[any Encodable & Sendable]], _ tail: String) -> SQLQueryString {
        var query = SQLQueryString(head)
        for (index, row) in rows.enumerated() {
            query += index == 0 ? " (" : ", ("
            query += "\(binds: row))"
        }
        return tail.isEmpty ? query : query + " " + SQLQueryString(tail)
    }
}
