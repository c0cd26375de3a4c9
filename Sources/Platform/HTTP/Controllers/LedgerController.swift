import HTTPTypes
import Hummingbird
import PluginKit

/// Balances from the ledger: an organizer's own, and every account's for admins.
package struct LedgerController {
    let balances: Balances
    let statements: Statements

    func register(organizer: RouteRegistrar<OrganizerContext>, admin: RouteRegistrar<AdminContext>) {
        organizer.on(.get, "balances", use: organizerBalances)
        organizer.on(.get, "ledger/entries", use: entries)
        admin.on(.get, "admin/ledger/balances", use: accounts)
        admin.on(.get, "admin/organizers/{id}/balances", use: anyOrganizersBalances)
    }

    /// The organizer's statement, paged; JSON, or CSV (RFC 4180) for `Accept: text/csv` or `?format=csv`.
    /// Filters: `from`/`to` (booking time), `event_from`/`event_to` (event start), RFC 3339 or a
    /// date (UTC midnight), each range half-open; `type` (comma-separated), `order_id`, `payout_id`.
    @Sendable func entries(_ request: Request, context: OrganizerContext) async throws -> Response {
        let query = request.uri.queryParameters
        let page = try Page(request)
        var check = Validator()
        func time(_ key: String) -> Timestamp? {
            guard let text = query[Substring(key)].map(String.init), !text.isEmpty else { return nil }
            let parsed = Timestamp(rfc3339: text) ?? Timestamp(rfc3339: text + "T00:00:00Z")
            check.check(parsed != nil, key, "must be an RFC 3339 date-time or a date such as 2026-07-01")
            return parsed
        }
        var filter = StatementFilter()
        filter.bookedFrom = time("from")
        filter.bookedTo = time("to")
        filter.eventFrom = time("event_from")
        filter.eventTo = time("event_to")
        for text in query["type"].map({ $0.split(separator: ",", omittingEmptySubsequences: false) }) ?? [] {
            guard let type = StatementEntry.EntryType(rawValue: String(text)) else {
                check.check(false, "type", "must be among \(StatementEntry.EntryType.allCases.map(\.rawValue).joined(separator: ", "))")
                continue
            }
            filter.types.append(type)
        }
        if let text = query["order_id"].map(String.init) {
            filter.orderID = OrderID(text)
            check.check(filter.orderID != nil, "order_id", "is not an order id")
        }
        if let text = query["payout_id"].map(String.init) {
            filter.payoutID = PayoutID(text)
            check.check(filter.payoutID != nil, "payout_id", "is not a payout id")
        }
        let after = page.after.map { Int64($0).map(Timestamp.init(milliseconds:)) }
        check.check(after.map { $0 != nil } ?? true, "after", "is not a cursor from this list")
        let csv = query["format"] == "csv" || (query["format"] == nil && request.headers[.accept]?.contains("text/csv") == true)
        check.check(query["format"].map { $0 == "csv" || $0 == "json" } ?? true, "format", "must be csv or json")
        try check.throwIfFailed()
        let (found, next) = try await statements.entries(of: context.organizer, filter: filter, after: after ?? nil, limit: page.limit)
        let bodies = found.map(StatementEntryBody.init)
        guard csv else { return try JSONCoding.response(ListBody(data: bodies, nextCursor: next.map { String($0.milliseconds) })) }
        var response = Self.csv(found)
        if let next { response.headers[HTTPField.Name("Next-Cursor")!] = String(next.milliseconds) }
        return response
    }

    /// Statement entries as the CSV file (RFC 4180) the API and the back office's money page give.
    package static func csv(_ entries: [StatementEntry]) -> Response {
        let headers: HTTPFields = [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"ledger-entries.csv\""]
        let text = CSV.document(header: StatementEntryBody.csvHeader, rows: entries.map(StatementEntryBody.init).map(\.csvFields))
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    @Sendable func organizerBalances(_ request: Request, context: OrganizerContext) async throws -> Response {
        try await balancesResponse(context.organizer)
    }

    /// Any organizer's balances, for admins (an unknown organizer has none).
    @Sendable func anyOrganizersBalances(_ request: Request, context: AdminContext) async throws -> Response {
        try await balancesResponse(try context.pathID(OrganizerID.self))
    }

    func balancesResponse(_ organizer: OrganizerID) async throws -> Response {
        struct Body: Encodable {
            let currency: String, pending: Int64, available: Int64, inTransit: Int64, paidOut: Int64, owed: Int64
        }
        let found = try await balances.organizer(organizer)
        return try JSONCoding.response(ListBody(data: found.map {
            Body(currency: $0.currency, pending: $0.pending, available: $0.available, inTransit: $0.inTransit, paidOut: $0.paidOut, owed: $0.owed)
        }, nextCursor: nil))
    }

    @Sendable func accounts(_ request: Request, context: AdminContext) async throws -> Response {
        struct Account: Encodable { let account: String, currency: String, debits: Int64, credits: Int64, balance: Int64 }
        struct Total: Encodable { let currency: String, debits: Int64, credits: Int64 }
        struct Body: Encodable { let accounts: [Account], totals: [Total] }
        let rows = try await balances.accounts()
        let accounts = rows.map { row in
            Account(account: row.account, currency: row.currency, debits: row.debits, credits: row.credits,
                    balance: LedgerAccount.balance(code: row.account, debits: row.debits, credits: row.credits))
        }
        let totals = Dictionary(grouping: rows, by: \.currency).sorted { $0.key < $1.key }.map { currency, rows in
            Total(currency: currency, debits: rows.reduce(0) { $0 + $1.debits }, credits: rows.reduce(0) { $0 + $1.credits })
        }
        return try JSONCoding.response(Body(accounts: accounts, totals: totals))
    }
}
