import PluginKit
import SQLKit

package struct StoredResponse: Sendable, Hashable {
    package let status: Int
    package let body: String
}

enum IdempotencyClaim: Sendable, Hashable {
    /// First use of the key: the caller does the work and then records the answer.
    case claimed
    case replay(StoredResponse)
    case inFlight
    case mismatch
}

/// Idempotency-Key bookkeeping: the first request with a key claims it; later ones with the same
/// request get the stored answer, with another request a mismatch.
struct IdempotencyRepository: Sendable {
    /// How long an answer is replayed.
    static let retention: Int64 = 24 * 3600 * 1000
    /// Milliseconds after which an unanswered claim is abandoned: twice the longest a request can
    /// take (a provider's call with its retries stays under 35 s).
    static let abandonedAfter: Int64 = 60_000

    let sql: any SQLDatabase
    package init(_ sql: any SQLDatabase) { self.sql = sql }

    struct Row: Decodable {
        let requestHash: String, state: String, responseStatus: Int?, responseBody: String?, createdAt: Int64
    }

    /// Claims several keys in one statement, each as `claim` would when the key is new or older
    /// than `retention`; a key in use or answered is left as it is, for `claim` to tell which.
    /// - Parameter requests: scope, key and request hash of each, no key twice.
    /// - Returns: the keys claimed, as `scope` and `key`.
    func claimNew(_ requests: [(scope: String, key: String, requestHash: String)], now: Timestamp,
                  retention: Int64) async throws -> Set<[String]> {
        guard !requests.isEmpty else { return [] }
        struct Row: Decodable { let scope: String, idempotencyKey: String }
        let rows: [[any Encodable & Sendable]] = requests.map { [$0.scope, $0.key, $0.requestHash, "in_flight", now.milliseconds] }
        let query = BatchWrites.statement("INSERT INTO idempotency_keys (scope, idempotency_key, request_hash, state, created_at) VALUES", rows, "")
            + """
             ON CONFLICT (scope, idempotency_key) DO UPDATE SET request_hash = excluded.request_hash, state = 'in_flight', \
            response_status = NULL, response_body = NULL, created_at = excluded.created_at \
            WHERE idempotency_keys.created_at < \(bind: now.milliseconds - retention) RETURNING scope, idempotency_key
            """
        // The text changes with the count of keys: not worth a prepared statement each.
        let claimed = try await AutoPrepared.unnamed {
            try await sql.raw(query).all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns)
        }
        return Set(claimed.map { [$0.scope, $0.idempotencyKey] })
    }

    func claim(scope: String, key: String, requestHash: String, now: Timestamp, retention: Int64) async throws -> IdempotencyClaim {
        // A key older than the retention window is forgotten and may be used afresh: its row is taken over.
        let claimed = try await !sql.execute(ClaimKey(scope: scope, key: key, requestHash: requestHash, now: now.milliseconds,
                                                       forgetBefore: now.milliseconds - retention)).isEmpty
        if claimed { return .claimed }
        guard let row = try await sql.raw("""
            SELECT request_hash, state, response_status, response_body, created_at FROM idempotency_keys
            WHERE scope = \(bind: scope) AND idempotency_key = \(bind: key)
            """).first(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns) else { return .inFlight }
        guard row.requestHash == requestHash else { return .mismatch }
        guard row.state == "done", let status = row.responseStatus, let body = row.responseBody else {
            // A claim older than any request runs belongs to a server that died mid-request: the
            // client's retry takes it over (one conditional update, so one retry wins) and does the work.
            guard row.createdAt < now.milliseconds - Self.abandonedAfter else { return .inFlight }
            let taken = try await sql.raw("""
                UPDATE idempotency_keys SET created_at = \(bind: now.milliseconds)
                WHERE scope = \(bind: scope) AND idempotency_key = \(bind: key) AND state = 'in_flight' AND created_at = \(bind: row.createdAt)
                RETURNING scope
                """).first()
            return taken == nil ? .inFlight : .claimed
        }
        return .replay(StoredResponse(status: status, body: body))
    }

    package func complete(scope: String, key: String, response: StoredResponse) async throws {
        _ = try await sql.execute(CompleteKey(scope: scope, key: key, status: Int64(response.status), body: response.body))
    }

    /// Drops answers older than the retention window (they hold buyers' access tokens); returns how many.
    @discardableResult
    func purge(now: Timestamp, retention: Int64) async throws -> Int {
        struct Row: Decodable { let scope: String }
        return try await sql.raw("""
            DELETE FROM idempotency_keys WHERE created_at < \(bind: now.milliseconds - retention) RETURNING scope
            """).all(decoding: Row.self).count
    }

    /// Stores an error answer for a key, unless another request holds the key by now.
    func storeIfFree(scope: String, key: String, requestHash: String, response: StoredResponse, now: Timestamp) async throws {
        try await sql.raw("""
            INSERT INTO idempotency_keys (scope, idempotency_key, request_hash, state, response_status, response_body, created_at)
            VALUES (\(bind: scope), \(bind: key), \(bind: requestHash), 'done', \(bind: response.status), \(bind: response.body),
                    \(bind: now.milliseconds))
            ON CONFLICT (scope, idempotency_key) DO NOTHING
            """).run()
    }

    /// Forgets a claim whose request failed on our side, so the client may retry with the same key.
    func release(scope: String, key: String) async throws {
        try await sql.raw("DELETE FROM idempotency_keys WHERE scope = \(bind: scope) AND idempotency_key = \(bind: key) AND state = 'in_flight'").run()
    }
}

private struct ClaimKey: PreparedStatement {
    static let name = "platform_claim_idempotency_key"
    static let sql = """
        INSERT INTO idempotency_keys (scope, idempotency_key, request_hash, state, created_at) VALUES ($1, $2, $3, 'in_flight', $4)
        ON CONFLICT (scope, idempotency_key) DO UPDATE SET request_hash = excluded.request_hash, state = 'in_flight',
            response_status = NULL, response_body = NULL, created_at = excluded.created_at
        WHERE idempotency_keys.created_at < $5
        RETURNING scope
        """
    let scope: String, key: String, requestHash: String, now: Int64, forgetBefore: Int64
    var values: [StatementValue] { [.text(scope), .text(key), .text(requestHash), .integer(now), .integer(forgetBefore)] }
}

private struct CompleteKey: PreparedStatement {
    static let name = "platform_complete_idempotency_key"
    static let sql = """
        UPDATE idempotency_keys SET state = 'done', response_status = $3, response_body = $4 WHERE scope = $1 AND idempotency_key = $2
        """
    let scope: String, key: String, status: Int64, body: String
    var values: [StatementValue] { [.text(scope), .text(key), .integer(status), .text(body)] }
}
