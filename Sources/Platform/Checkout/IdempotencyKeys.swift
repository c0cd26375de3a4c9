import Foundation
import PluginKit
import SQLKit

/// The Idempotency-Key a request came with, the scope it is unique in, and a hash of the request.
package struct IdempotentRequest: Sendable {
    package let scope: String
    package let key: String
    let requestHash: String

    package init(scope: String, key: String, requestHash: String) {
        self.scope = scope
        self.key = key
        self.requestHash = requestHash
    }
}

/// An answer to a request with an Idempotency-Key: the first one, or the same bytes again.
package struct IdempotentAnswer: Sendable, Hashable {
    package let response: StoredResponse
    package let replayed: Bool
}

extension IdempotentAnswer {
    /// The order a placed order's answer (201, `PlacedOrderBody`) names, with its access token and
    /// checkout URL: what the pages that place orders send the buyer on to.
    /// - Throws: `PlatformError.notFound("order")` for an answer that names no order.
    package func placedOrder() throws -> (id: OrderID, accessToken: String, checkoutURL: String?) {
        struct Placed: Decodable {
            struct Order: Decodable { let id: String }
            let order: Order, checkoutUrl: String?, accessToken: String
        }
        guard let placed = try? JSONCoding.decoder.decode(Placed.self, from: Data(response.body.utf8)), let id = OrderID(placed.order.id) else {
            throw PlatformError.notFound("order")
        }
        return (id, placed.accessToken, placed.checkoutUrl)
    }
}

/// The key is being used by a request still running, or was used with another request.
enum IdempotencyConflict: Error, Sendable, Hashable {
    case inFlight
    case mismatch
}

/// The whole Idempotency-Key protocol of a request. The key is claimed in the transaction that does
/// the work (or its earlier answer replayed), answered in the transaction that finishes it,
/// released when our side or the provider failed so the client may retry with it, and a failure
/// the client caused is kept as the key's answer. Answers are replayed for 24 hours.
package struct IdempotencyKeys: Sendable {
    let database: any Database
    let clock: any WallClock

    package init(database: any Database, clock: any WallClock) {
        self.database = database
        self.clock = clock
    }

    /// In the caller's transaction: nil when the key is now this request's, else its earlier answer.
    /// - Throws: `IdempotencyConflict` when another request holds the key or used it with another body.
    func claim(_ request: IdempotentRequest, at now: Timestamp, on sql: any SQLDatabase) async throws -> IdempotentAnswer? {
        switch try await IdempotencyRepository(sql).claim(scope: request.scope, key: request.key, requestHash: request.requestHash,
                                                          now: now, retention: IdempotencyRepository.retention) {
        case .claimed: return nil
        case let .replay(stored): return IdempotentAnswer(response: stored, replayed: true)
        case .inFlight: throw IdempotencyConflict.inFlight
        case .mismatch: throw IdempotencyConflict.mismatch
        }
    }

    /// In the caller's transaction: the answer replayed from now on.
    func complete(_ request: IdempotentRequest, with response: StoredResponse, on sql: any SQLDatabase) async throws {
        try await IdempotencyRepository(sql).complete(scope: request.scope, key: request.key, response: response)
    }

    /// In the caller's transaction: forgets a claim whose work failed on our side or the provider's.
    func release(_ request: IdempotentRequest, on sql: any SQLDatabase) async throws {
        try await IdempotencyRepository(sql).release(scope: request.scope, key: request.key)
    }

    /// Keeps a failure as the key's answer unless it is transient (a 5xx or a 429, after which the
    /// client may retry with the same key); when another request holds the key by now, its answer stays.
    /// - Returns: false for a transient failure, which the caller answers without keeping it.
    func answerFailure(_ request: IdempotentRequest, with response: StoredResponse) async throws -> Bool {
        guard response.status < 500, response.status != 429 else { return false }
        let now = clock.now()
        try await database.transaction { sql in
            try await IdempotencyRepository(sql).storeIfFree(scope: request.scope, key: request.key, requestHash: request.requestHash,
                                                             response: response, now: now)
        }
        return true
    }
}
