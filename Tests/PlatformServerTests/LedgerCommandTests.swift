import Foundation
import Platform
import PlatformTesting
import Testing

/// `platform ledger verify`, run as the built executable an operator's cron would run.
@Suite struct LedgerCommandTests {
    @Test func verifyExitsNonZeroWithTheDiscrepancy() async throws {
        let built = try BuiltCommand.path("platform")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = "sqlite:" + directory.appendingPathComponent("ledger.sqlite").path
        let database = try await DatabaseFactory.openMigrated(url: url, environment: [:], logger: quietLogger)
        let clock = ManualClock()
        let catalog = Catalog(database: database, clock: clock)
        let (organizer, _) = try await catalog.createOrganizer(name: "Cron", slug: "cron", email: "c@cron.example", feeBasisPoints: nil)
        let event = try await catalog.createEvent(NewEvent(title: "Night", startsAt: clock.now().adding(minutes: 60), timezone: "UTC",
                                                           currency: .eur, status: .live), organizer: organizer.id)
        let consistent = try await BuiltCommand.run(built, ["ledger", "verify"], environment: ["DATABASE_URL": url, "LOG_LEVEL": "error"])
        #expect(consistent.status == 0 && consistent.stdout == "the ledger is consistent\n", "\(consistent.stderr)")

        // An order paid past the ledger, as a path that forgot to book it would leave it.
        let now = clock.now()
        let id = OrderID.generate(at: now)
        let order = Order(id: id, organizerID: organizer.id, eventID: event.id, status: .paid, seats: .sold, email: "b@example.com",
                          buyerName: nil, total: Money(minorUnits: 2_500, currency: .eur), refunded: 0, provider: "test",
                          providerSession: nil, providerPayment: "pay", checkoutURL: nil, reviewReason: nil, disputeReason: nil,
                          expiresAt: now, paidAt: now, createdAt: now, updatedAt: now, lines: [])
        try await database.transaction { sql in try await OrderRepository(sql).insert(order, accessTokenHash: "x") }
        await database.close()
        let broken = try await BuiltCommand.run(built, ["ledger", "verify"], environment: ["DATABASE_URL": url, "LOG_LEVEL": "error"])
        #expect(broken.status == 1)
        #expect(broken.stderr.contains("1 discrepancy:\norder \(id) is paid but no payment of it is booked"), "\(broken.stderr)")
    }
}
