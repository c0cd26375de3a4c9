import Foundation
import Platform
import PlatformTesting
import SQLKit
import Testing

extension CheckoutHarness {
    /// Pays an order of `quantity` tickets (2,500 each, 5% fee) and returns its id.
    @discardableResult
    func paidOrder(quantity: Int = 2) async throws -> String {
        let id = try #require(try await placeOrder(body: cart(quantity: quantity)).orderID)
        _ = try await deliver(id: "paid-\(id)", type: "paid", order: id, amount: 2_500 * Int64(quantity))
        await drain()
        return id
    }
}

/// `PAYOUT_MINIMUM`: one amount for every currency, with exceptions per currency.
@Suite struct PayoutMinimumTests {
    @Test func theMinimumComesFromTheEnvironment() throws {
        #expect(try PlatformConfig.fromEnvironment([:]).payoutMinimum.amount(for: "EUR") == 1_000)
        let minimum = try PlatformConfig.fromEnvironment(["PAYOUT_MINIMUM": "2000, jpy=500"]).payoutMinimum
        #expect(minimum.amount(for: "EUR") == 2_000 && minimum.amount(for: "JPY") == 500)
        for bad in ["0", "ten", "1000,XYZ=5", "1000,EUR=-1", "EUR="] {
            #expect(throws: ConfigError.self, "\(bad)") { try PlatformConfig.fromEnvironment(["PAYOUT_MINIMUM": bad]) }
        }
    }
}

