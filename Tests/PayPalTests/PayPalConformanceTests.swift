import Foundation
import Platform
import PlatformTesting
import Testing
@testable import PayPal

@Suite struct PayPalConformanceTests {
    func run(_ body: @escaping @Sendable (PayPalFixture, Timestamp) async throws -> Void) async throws {
        let clock = ManualClock()
        let fake = try FakePayPal(clock: clock)
        try await fake.serving { base in
            try await body(PayPalFixture(fake: fake, paypal: makePayPal(base: base, fake: fake, clock: clock)), clock.now())
        }
    }

    @Test func rejectsTamperedAndStale() async throws { try await run { try await ProviderConformance.rejectsTamperedAndStale($0, now: $1) } }
    @Test func handlesEveryDeclaredEventType() async throws { try await run { try await ProviderConformance.handlesEveryDeclaredEventType($0, now: $1) } }
    @Test func createsCheckoutsIdempotently() async throws { try await run { try await ProviderConformance.createsCheckoutsIdempotently($0, now: $1) } }
    @Test func mapsEveryFailure() async throws { try await run { try await ProviderConformance.mapsEveryFailure($0, now: $1) } }

    @Test(arguments: TestEngines.all)
    func duplicateDeliveriesAreHarmless(engine: DatabaseEngine) async throws {
        let clock = ManualClock()
        let fake = try FakePayPal(clock: clock)
        try await fake.serving { base in
            let fixture = PayPalFixture(fake: fake, paypal: makePayPal(base: base, fake: fake, clock: clock))
            try await ProviderConformance.duplicateDeliveriesAreHarmless(fixture, engine: engine)
        }
    }
}
