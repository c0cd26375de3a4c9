import ArgumentParser
import Foundation
import Platform
import PlatformTesting
import Ticketing

/// Order confirmations (each with its tickets' QR codes) dispatched through the Resend plugin to
/// the fake Resend in this process; every message must arrive exactly once.
struct OutboxBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox", abstract: "Outbox messages sent per second through the Resend plugin to a local fake Resend.")

    @Option(help: "Paid orders, each queuing one confirmation.") var orders = 2_000
    @Option(help: "Tickets per order (one inline QR code each).") var seats = 2
    @Option(help: "Messages leased and sent at once.") var batch = 16

    func run() async throws {
        let fake = FakeResend()
        let (platform, elapsed, sent) = try await fake.serving { base in
            // The assembly picks the Resend plugin, as a served platform with RESEND_API_KEY does.
            let platform = try await BenchPlatform.make(quota: Int64(orders * seats), mail: true, extra: [
                "RESEND_API_KEY": FakeResend.apiKey, "RESEND_API_BASE": base, "RESEND_RATE_LIMIT": "100000",
            ])
            _ = try await platform.paidTickets(orders: orders, seats: seats)
            guard var dispatcher = platform.platform.outbox else { throw ConfigError("the bench platform has no mailer") }
            dispatcher.batchSize = batch
            let clock = ContinuousClock()
            let start = clock.now
            let sent = await dispatcher.drain()
            return (platform, clock.now - start, sent)
        }
        let database = platform.database
        let engine = database.engine
        // This run's organizer only: a database kept from an earlier run holds its messages too.
        let organizer = platform.organizerID
        let counts = try await database.read { sql in
            let outbox = OutboxRepository(sql, engine: engine)
            return (try await outbox.count(status: .sent, organizer: organizer),
                    try await outbox.count(status: .queued, organizer: organizer) + (try await outbox.count(status: .dead, organizer: organizer)))
        }
        let duplicates = fake.deliveriesByKey.values.filter { $0 > 1 }.count
        await platform.close()
        print("""
            outbox on \(engine): \(orders) order confirmations of \(seats) tickets (one inline QR each), batches of \(batch), Resend plugin -> fake Resend
              \(rate(sent, elapsed)) messages/s; sent \(counts.0), not sent \(counts.1), delivered \(fake.deliveries.count), duplicates \(duplicates)
            """)
        if counts.0 != orders || fake.deliveries.count != orders || duplicates != 0 { throw ExitCode.failure }
    }
}
