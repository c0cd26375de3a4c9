import Foundation
import Platform
import PlatformTesting
import SQLKit
import Testing

/// A provider declares what refunds it makes; the kernel refuses the others before recording
/// anything or calling the provider.
@Suite struct RefundCapabilityTests {
    func paidOrder(_ h: CheckoutHarness) async throws -> String {
        let id = try #require(try await h.placeOrder(body: h.cart(quantity: 2)).orderID)
        _ = try await h.deliver(id: "paid-\(id)", type: "paid", order: id, amount: 5_000)
        await h.drain()
        return id
    }

    @Test(arguments: TestEngines.all)
    func aProviderWithoutRefundsIsRefusedWithNothingWritten(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine, provider: TestPaymentProvider(refundCapabilities: RefundCapabilities(.none))) { h in
            let id = try await paidOrder(h)
            let reply = try await h.client.send(.post, "/api/v1/orders/\(id)/refunds", key: h.organizerKey)
            #expect(reply.status == .conflict)
            #expect(reply.string("detail") == "test payments cannot be refunded through the platform")
            #expect(h.provider.refunds.isEmpty)
            #expect(try await rowCounts(h.database, tables: ["refunds"]) == ["refunds": 0])
        }
    }

    @Test(arguments: TestEngines.all)
    func aFullOnlyProviderRefusesPartsButRefundsTheWhole(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine, provider: TestPaymentProvider(refundCapabilities: RefundCapabilities(.full))) { h in
            let id = try await paidOrder(h)
            let part = try await h.client.post("/api/v1/orders/\(id)/refunds", key: h.organizerKey, json: #"{"amount":1000}"#)
            #expect(part.status == .unprocessableContent)
            #expect(part.errorFields == ["amount"])
            #expect(h.provider.refunds.isEmpty)
            let whole = try await h.client.send(.post, "/api/v1/orders/\(id)/refunds", key: h.organizerKey)
            #expect(whole.status == .accepted)
            #expect(h.provider.refunds.map(\.amount.minorUnits) == [5_000])
        }
    }

    @Test(arguments: TestEngines.all)
    func refundsEndWithTheProvidersTimeLimit(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine, provider: TestPaymentProvider(refundCapabilities: RefundCapabilities(.partial, timeLimitDays: 180))) { h in
            let id = try await paidOrder(h)
            h.clock.advance(minutes: 179 * 24 * 60)
            let inTime = try await h.client.post("/api/v1/orders/\(id)/refunds", key: h.organizerKey, json: #"{"amount":1000}"#)
            #expect(inTime.status == .accepted)
            h.clock.advance(minutes: 2 * 24 * 60)
            let late = try await h.client.post("/api/v1/orders/\(id)/refunds", key: h.organizerKey, json: #"{"amount":1000}"#)
            #expect(late.status == .conflict)
            #expect(late.string("detail") == "test refunds payments for 180 days after they are made; this one is older")
            #expect(h.provider.refunds.count == 1)
        }
    }

    /// Money the platform cannot keep goes back whatever the provider declares: the automatic refund
    /// is asked of the provider, whose refusal an admin would see as a failed refund.
    @Test(arguments: TestEngines.all)
    func automaticRefundsAreAskedOfTheProviderAnyway(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine, provider: TestPaymentProvider(refundCapabilities: RefundCapabilities(.none))) { h in
            let id = try #require(try await h.placeOrder(body: h.cart(quantity: 2)).orderID)
            _ = try await h.deliver(id: "paid-wrong-\(id)", type: "paid", order: id, amount: 3_000)
            await h.drain()
            #expect(try await h.order(id).string("status") == "review")
            #expect(h.provider.refunds.map(\.amount.minorUnits) == [3_000])
        }
    }

    @Test(arguments: TestEngines.all)
    func aFullOnlyProviderNamesTheTicketsWhenTheyWereWhatWasAsked(engine: DatabaseEngine) async throws {
        let provider = TestPaymentProvider(refundCapabilities: RefundCapabilities(.full))
        try await CheckoutHarness.run(engine, provider: provider, modules: { _, _, _ in [NamedItems()] }) { h in
            let id = try await paidOrder(h)
            let reply = try await h.client.post("/api/v1/orders/\(id)/refunds", key: h.organizerKey, json: #"{"tickets":["seat-1"]}"#)
            #expect(reply.status == .unprocessableContent)
            #expect(reply.errorFields == ["tickets"])
        }
    }
}

/// A module whose refundable items are worth 1,000 each: enough to name items in a refund.
private struct NamedItems: PlatformModule {
    struct Observer: OrderLifecycleObserver {
        func handle(_ event: OrderLifecycleEvent, at time: Timestamp, on sql: any SQLDatabase) async throws {}
        func refundValue(of items: [String], in order: Order, on sql: any SQLDatabase) async throws -> Int64? { Int64(items.count) * 1_000 }
    }

    func register(_ routes: APIRoutes, platform: Platform) {}
    var orderObservers: [any OrderLifecycleObserver] { [Observer()] }
}
