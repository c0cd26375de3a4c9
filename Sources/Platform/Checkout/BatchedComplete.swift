import SQLKit

extension Checkout {
    /// The most orders whose checkout sessions one statement records (`CheckoutBatches`).
    static let maxCompletions = 32

    /// Records the checkout sessions of `batch` and their keys' answers: on PostgreSQL one
    /// statement, which commits once for all; on SQLite one transaction. One alone runs as a
    /// checkout outside a batch does.
    /// - Throws: what the database throws; nothing of the batch is then written.
    static func record(_ batch: [RecordedCheckout], on database: any Database) async throws {
        if database.engine == .postgres {
            try await database.autocommit { sql in
                guard batch.count == 1 else { return try await OrderRepository(sql).setCheckouts(batch) }
                let checkout = batch[0]
                guard let key = checkout.key else {
                    return try await OrderRepository(sql).setCheckout(checkout.order, session: checkout.session, url: checkout.url, at: checkout.at)
                }
                try await OrderRepository(sql).setCheckout(checkout.order, session: checkout.session, url: checkout.url, at: checkout.at,
                                                           answeringKey: key.key, of: key.scope, with: checkout.response)
            }
        } else {
            try await database.transaction { sql in
                for checkout in batch {
                    try await OrderRepository(sql).setCheckout(checkout.order, session: checkout.session, url: checkout.url, at: checkout.at)
                    if let key = checkout.key {
                        try await IdempotencyRepository(sql).complete(scope: key.scope, key: key.key, response: checkout.response)
                    }
                }
            }
        }
    }
}
