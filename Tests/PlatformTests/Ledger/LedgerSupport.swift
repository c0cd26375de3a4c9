import Foundation
import Platform
import PlatformTesting
import Testing

extension CheckoutHarness {
    /// The order's transfers by id without the order's own (`order-net`, `refund-fee:1001`), with their amounts.
    func transfers(of order: String) async throws -> [String: Int64] {
        let id = try #require(OrderID(order))
        let booked = try await database.read { sql in try await LedgerRepository(sql).forOrder(id) }
        // Refund ids are random: a refund's transfers read `refund-net:rfd`.
        return Dictionary(uniqueKeysWithValues: booked.map {
            ($0.id.replacingOccurrences(of: ":\(order)", with: "").replacing(/:rfd_[0-9a-z]+/, with: ":rfd"), $0.amount)
        })
    }
}
