import Foundation
import Platform
import PlatformTesting
import Testing

/// `platform demo --payout` and `platform payouts run`, as the built executable runs them.
@Suite struct PayoutCommandTests {
    @Test func theDemoFollowsASaleToASettledPayoutAndARunAfterwardsPaysNothing() async throws {
        let built = try BuiltCommand.path("platform")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("payouts-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = ["DATABASE_URL": "sqlite:" + directory.appendingPathComponent("p.sqlite").path, "LOG_LEVEL": "error",
                           "TICKET_KEY_FILE": directory.appendingPathComponent("key").path,
                           "MAIL_OUTBOX_DIR": directory.appendingPathComponent("outbox").path]
        let demo = try await BuiltCommand.run(built, ["demo", "--payout"], environment: environment)
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stdout.contains("A buyer paid 25.00 EUR"))
        #expect(demo.stdout.contains("balance:   pending 23.75 EUR, available 0.00 EUR"))
        #expect(demo.stdout.contains("balance:   pending 0.00 EUR, available 23.75 EUR"))
        #expect(demo.stdout.contains("paid out 23.75 EUR, owed 0.00 EUR"))

        let dry = try await BuiltCommand.run(built, ["payouts", "run", "--dry-run", "--currency", "eur"], environment: environment)
        #expect(dry.status == 0 && dry.stdout == "0 payouts planned (nothing), 0 skipped\n", "\(dry.stdout)\(dry.stderr)")
        let bad = try await BuiltCommand.run(built, ["payouts", "run", "--organizer", "nobody"], environment: environment)
        #expect(bad.status != 0 && bad.stderr.contains("--organizer must be an organizer id"))
        let verify = try await BuiltCommand.run(built, ["ledger", "verify"], environment: environment)
        #expect(verify.status == 0, "\(verify.stderr)")
    }
}
