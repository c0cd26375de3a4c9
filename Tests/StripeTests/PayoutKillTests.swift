import Foundation
import Platform
import PlatformTesting
import SQLKit
import Testing

/// `platform payouts run` killed with SIGKILL while Stripe is still answering its transfer: the
/// money stays in transit under the payout, and the next run finishes it with the same
/// Idempotency-Key, so Stripe makes one transfer.
@Suite struct PayoutKillTests {
    @Test func aRunKilledDuringTheTransferIsFinishedByTheNextRunWithOneTransfer() async throws {
        let built = try BuiltCommand.path("platform")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("payout-kill-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = "sqlite:" + directory.appendingPathComponent("p.sqlite").path
        let organizer = try await seed(url: url)

        let fake = FakeStripe(clock: ManualClock())
        try await fake.serving { base in
            let environment = ["DATABASE_URL": url, "LOG_LEVEL": "error", "STRIPE_SECRET_KEY": FakeStripe.secretKey,
                               "STRIPE_WEBHOOK_SECRET": FakeStripe.webhookSecret, "STRIPE_API_BASE": base,
                               "TICKET_KEY_FILE": directory.appendingPathComponent("key").path,
                               "MAIL_OUTBOX_DIR": directory.appendingPathComponent("outbox").path]
            // Stripe takes 2 s to answer: the run is killed after the ledger move, with its transfer in flight.
            fake.delay(.seconds(2))
            let first = try BuiltCommand.start(built, ["payouts", "run"], environment: environment)
            for _ in 0..<200 where fake.requestCount == 0 { try await Task.sleep(for: .milliseconds(25)) }
            #expect(fake.requestCount == 1, "the run reached Stripe")
            first.signal(SIGKILL)
            #expect(first.wait() == .signaled(SIGKILL))

            let database = try await DatabaseFactory.openMigrated(url: url, environment: [:], logger: quietLogger)
            let stranded = try await database.read { sql in try await PayoutRepository(sql).list(organizer: organizer, before: nil, limit: 10) }
            #expect(stranded.map(\.status) == [.sending] && stranded.first?.amount.minorUnits == 4_750)
            // Five minutes later, as far as the lease is concerned; Stripe has finished the first transfer by then.
            try await Task.sleep(for: .seconds(2.5))
            try await database.transaction { sql in try await sql.raw("UPDATE payouts SET lease_until = 0").run() }
            await database.close()
            fake.delay(nil)

            let second = try await BuiltCommand.run(built, ["payouts", "run"], environment: environment)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stdout.contains("47.50 EUR\tstripe\tsettled"), "\(second.stdout)")
            let transfers = fake.requests.filter { $0.path == "/v1/transfers" }
            #expect(transfers.count == 2 && Set(transfers.map { $0.headers["idempotency-key"] }).count == 1, "one key, sent twice")
            #expect(transfers.first?.headers["idempotency-key"] == stranded.first?.id.rawValue)

            let reopened = try await DatabaseFactory.openMigrated(url: url, environment: [:], logger: quietLogger)
            let (payouts, discrepancies) = try await reopened.read { sql in
                (try await PayoutRepository(sql).list(organizer: organizer, before: nil, limit: 10), try await LedgerInvariants.check(on: sql))
            }
            await reopened.close()
            #expect(payouts.map(\.status) == [.settled] && payouts.first?.id == stranded.first?.id)
            #expect(payouts.first?.providerReference == "tr_test_000001", "Stripe replayed the first transfer instead of making another")
            #expect(discrepancies == [])
        }
    }

    /// An organizer with one paid order whose net of 4,750 is available, and a Stripe payout method.
    func seed(url: String) async throws -> OrganizerID {
        let database = try await DatabaseFactory.openMigrated(url: url, environment: [:], logger: quietLogger)
        let clock = ManualClock()
        let catalog = Catalog(database: database, clock: clock)
        let (organizer, _) = try await catalog.createOrganizer(name: "Kill", slug: "kill", email: "k@kill.example", feeBasisPoints: nil)
        let event = try await catalog.createEvent(NewEvent(title: "Night", startsAt: clock.now().adding(minutes: 60), timezone: "UTC",
                                                           currency: .eur, status: .live), organizer: organizer.id)
        let now = clock.now()
        let id = OrderID.generate(at: now)
        let order = Order(id: id, organizerID: organizer.id, eventID: event.id, status: .paid, seats: .sold, email: "b@example.com",
                          buyerName: nil, total: Money(minorUnits: 5_000, currency: .eur), refunded: 0, provider: "stripe",
                          providerSession: nil, providerPayment: "pi_1", checkoutURL: nil, reviewReason: nil, disputeReason: nil,
                          expiresAt: now, paidAt: now, createdAt: now, updatedAt: now, lines: [])
        try await database.transaction { sql in
            try await OrderRepository(sql).insert(order, accessTokenHash: "x")
            let ledger = LedgerRepository(sql)
            let (net, fee) = (Money(minorUnits: 4_750, currency: .eur), Money(minorUnits: 250, currency: .eur))
            try await ledger.post([
                Transfer(id: "order-net:\(id)", kind: .orderNet, amount: net, debit: .clearing(provider: "stripe"),
                         credit: .organizerPending(organizer.id), organizerID: organizer.id, orderID: id, bookedAt: now),
                Transfer(id: "order-fee:\(id)", kind: .orderFee, amount: fee, debit: .clearing(provider: "stripe"), credit: .feeRevenue,
                         organizerID: organizer.id, orderID: id, bookedAt: now),
                Transfer(id: "release:\(id)", kind: .release, amount: net, debit: .organizerPending(organizer.id),
                         credit: .organizerAvailable(organizer.id), organizerID: organizer.id, orderID: id, bookedAt: now),
            ])
            try await sql.raw("""
                INSERT INTO payout_methods (organizer_id, provider, account, updated_at)
                VALUES (\(bind: organizer.id.rawValue), 'stripe', 'acct_1Nv0FGQ9RKHgCVdK', \(bind: now.milliseconds))
                """).run()
        }
        await database.close()
        return organizer.id
    }
}
