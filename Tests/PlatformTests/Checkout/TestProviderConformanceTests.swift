import Foundation
import HTTPTypes
import Hummingbird
import Platform
import PlatformTesting
import Testing

/// The kernel's own test provider passes the suite it offers plugins, failure mapping included.
struct TestProviderFixture: ProviderConformanceFixture {
    let test = TestPaymentProvider()
    var provider: any PaymentProvider { test }
    let paidEventType = "paid"

    var failureCases: [ProviderFailureCase] {
        let cases: [(String, ProviderError)] = [
            ("declined", .declined("card declined")), ("rate limited", .rateLimited("slow down")),
            ("unavailable", .unavailable("down")), ("provider error", .providerError("500")),
            ("invalid", .invalidRequest("bad currency")), ("conflict", .conflict("in flight")),
        ]
        return cases.map { name, error in
            ProviderFailureCase(name, arrange: { [test] in test.fail(with: error) }, expected: { $0 == error })
        }
    }

    func delivery(eventType: String, eventID: String, order: OrderID, amount: Int64, currency: String,
                  at time: Timestamp) throws -> (body: ByteBuffer, headers: HTTPFields) {
        test.delivery(id: eventID, type: eventType, order: order.rawValue, amount: amount, currency: currency, at: time)
    }
}

@Suite struct TestProviderConformanceTests {
    let now = Timestamp(rfc3339: "2026-06-01T12:00:00Z")!

    @Test func rejectsTamperedAndStale() async throws { try await ProviderConformance.rejectsTamperedAndStale(TestProviderFixture(), now: now) }
    @Test func handlesEveryDeclaredEventType() async throws { try await ProviderConformance.handlesEveryDeclaredEventType(TestProviderFixture(), now: now) }
    @Test func createsCheckoutsIdempotently() async throws { try await ProviderConformance.createsCheckoutsIdempotently(TestProviderFixture(), now: now) }
    @Test func mapsEveryFailure() async throws { try await ProviderConformance.mapsEveryFailure(TestProviderFixture(), now: now) }

    @Test(arguments: TestEngines.all)
    func duplicateDeliveriesAreHarmless(engine: DatabaseEngine) async throws {
        try await ProviderConformance.duplicateDeliveriesAreHarmless(TestProviderFixture(), engine: engine)
    }
}
