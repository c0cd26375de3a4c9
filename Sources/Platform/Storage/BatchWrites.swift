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
/// access token of its confirmation, the email in the outbox, audit entries), written with one
/// multi-row INSERT per statement instead of one each: when the batch ends, and before any command
/// other than a payment applies, since a refund may read the tickets. Set by `InboxWorker` with
/// `BatchReads`; outside a batch every insert runs at once. A batch is one transaction, so its
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
    /// - Throws: what the database throws for an insert; the caller's transaction then rolls back.
    func flush(on sql: any SQLDatabase) async throws {
        let taken = pending.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
        for statement in taken {
            var start = 0
            for size in Self.chunks(statement.rows.count) {
                try await sql.raw(Self.statement(statement.head, Array(statement.rows[start..<start + size]), statement.tail)).run()
                start += size
            }
        }
    }

    /// `count` rows as statements of powers of two rows, largest first (13: 8, 4, 1). On PostgreSQL
    /// each distinct text is a prepared statement in every connection (`AutoPrepared`, which names
    /// 500 at most), so a table gets at most nine texts rather than one per row count.
    static func chunks(_ count: Int) -> [Int] {
        var left = count, sizes: [Int] = []
        while left > 0 {
            let size = min(rowsPerStatement, 1 << (Int.bitWidth - 1 - left.leadingZeroBitCount))
            sizes.append(size)
            left -= size
        }
        return sizes
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
