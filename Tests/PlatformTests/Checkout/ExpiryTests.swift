import Foundation
import Platform
import PlatformTesting
import Testing

@Suite struct ExpiryTests {
    @Test(arguments: TestEngines.all)
    func expiredReservationsGiveTheirSeatsBack(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try #require(try await h.placeOrder(body: h.cart(quantity: 4)).orderID)
            h.clock.advance(minutes: 14)
            #expect(try await h.platform.expiry.run() == 0)
            h.clock.advance(minutes: 1)
            #expect(try await h.platform.expiry.run() == 1)
            #expect(try await h.platform.expiry.run() == 0, "expiring twice changes nothing")
            #expect(try await h.order(id).string("status") == "expired")
            #expect(try await h.variantCounts() == (0, 0))
        }
    }

    @Test(arguments: TestEngines.all)
    func latePaymentIsHonouredWhileSeatsRemain(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine, quota: 5) { h in
            let id = try #require(try await h.placeOrder(body: h.cart(quantity: 2)).orderID)
            h.clock.advance(minutes: 20)
            try await h.platform.expiry.run()
            _ = try await h.deliver(id: "late", type: "paid", order: id, amount: 5_000)
            await h.drain()
            #expect(try await h.order(id).string("status") == "paid")
            #expect(try await h.variantCounts() == (2, 0))
            #expect(h.provider.refunds.isEmpty)
        }
    }

    @Test(arguments: TestEngines.all)
    func latePaymentWithoutSeatsGoesToReviewAndIsRefunded(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine, quota: 2) { h in
            let late = try #require(try await h.placeOrder(body: h.cart(quantity: 2)).orderID)
            h.clock.advance(minutes: 20)
            try await h.platform.expiry.run()
            let other = try #require(try await h.placeOrder(body: h.cart(quantity: 2)).orderID)
            _ = try await h.deliver(id: "other-paid", type: "paid", order: other, amount: 5_000)
            _ = try await h.deliver(id: "late-paid", type: "paid", order: late, amount: 5_000)
            await h.drain()
            let reviewed = try await h.order(late)
            #expect(reviewed.string("status") == "review")
            #expect(reviewed.string("review_reason") == "paid after its reservation ended; the seats are gone")
            #expect(try await h.order(other).string("status") == "paid")
            #expect(try await h.variantCounts() == (2, 0), "never oversold")
            #expect(h.provider.refunds.map(\.orderID.rawValue) == [late])
            #expect(h.provider.refunds.first?.amount == Money(minorUnits: 5_000, currency: .eur))
        }
    }

    @Test(arguments: TestEngines.all)
    func wrongAmountGoesToReview(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let id = try #require(try await h.placeOrder(body: h.cart(quantity: 1)).orderID)
            _ = try await h.deliver(id: "cheap", type: "paid", order: id, amount: 100)
            await h.drain()
            let order = try await h.order(id)
            #expect(order.string("status") == "review")
            #expect(order.string("review_reason") == "provider reported 100 EUR, order total is 2500 EUR")
            #expect(try await h.variantCounts() == (0, 0))
            #expect(h.provider.refunds.map(\.amount) == [Money(minorUnits: 100, currency: .eur)], "what was taken goes back")
        }
    }
}
