import Foundation
import HTTPTypes
import Hummingbird
import Platform
import PlatformTesting
@testable import Sandbox
import Testing

/// The Sandbox run through the conformance suite every payment plugin must pass.
struct SandboxFixture: ProviderConformanceFixture {
    let sandbox = SandboxProvider(secret: "sandbox-conformance", baseURL: "http://127.0.0.1:8080")
    var provider: any PaymentProvider { sandbox }
    let paidEventType = "payment.succeeded"
    /// The Sandbox cannot fail.
    let failureCases: [ProviderFailureCase] = []

    func delivery(eventType: String, eventID: String, order: OrderID, amount: Int64, currency: String,
                  at time: Timestamp) throws -> (body: ByteBuffer, headers: HTTPFields) {
        let refund = eventType == "refund.succeeded"
        let event = SandboxEvent(id: eventID, type: eventType, data: .init(
            orderID: order.rawValue, amount: refund ? nil : amount, currency: currency, paymentID: refund ? nil : "sbx_pay_1",
            amountRefunded: refund ? amount : nil, refundID: refund ? "sbx_re_1" : nil))
        let body = try JSONEncoder().encode(event)
        let header = TimestampedSignature.header(body: body, secret: sandbox.secret, timestamp: time.milliseconds / 1000)
        return (ByteBuffer(bytes: body), [SandboxProvider.signatureHeader: header])
    }
}

@Suite struct SandboxConformanceTests {
    let now = Timestamp(rfc3339: "2026-06-01T12:00:00Z")!

    @Test func rejectsTamperedAndStale() async throws { try await ProviderConformance.rejectsTamperedAndStale(SandboxFixture(), now: now) }
    @Test func handlesEveryDeclaredEventType() async throws { try await ProviderConformance.handlesEveryDeclaredEventType(SandboxFixture(), now: now) }
    @Test func createsCheckoutsIdempotently() async throws { try await ProviderConformance.createsCheckoutsIdempotently(SandboxFixture(), now: now) }
    @Test func mapsEveryFailure() async throws { try await ProviderConformance.mapsEveryFailure(SandboxFixture(), now: now) }

    @Test(arguments: TestEngines.all)
    func duplicateDeliveriesAreHarmless(engine: DatabaseEngine) async throws {
        try await ProviderConformance.duplicateDeliveriesAreHarmless(SandboxFixture(), engine: engine)
    }
}
