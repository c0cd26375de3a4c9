import ArgumentParser
import Foundation
import Platform
import SQLKit

/// Payout runs over a large ledger: paid, released orders generated straight into the database,
/// then the once-a-minute hold release scan, a dry run, a real run through the Sandbox payout
/// provider, and the settlement of every payout by the Sandbox's webhooks.
struct PayoutBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payouts", abstract: "Payout runs over generated paid orders (1,000,000 across 10,000 organizers by default).")

    @Option(help: "Paid orders, spread evenly over the organizers.") var orders = 1_000_000
    @Option(help: "Organizers, each with one ended event and a Sandbox payout method.") var organizers = 10_000
    @Flag(help: "Also time `platform ledger verify` over the result.") var verify = false

    func run() async throws {
        let bench = try await BenchPlatform.make(quota: 1)
        let platform = bench.platform
        // The Sandbox settles payouts by its own webhooks, which need it installed as the server installs it.
        _ = buildRouter(platform)
        let clock = ContinuousClock()
        var start = clock.now
        let generated = try await PayoutBenchData(database: bench.database, now: platform.clock.now()).generate(orders: orders, organizers: organizers)
        print("payouts on \(bench.database.engine): \(orders) paid orders across \(generated.count) organizers, generated in \(seconds(clock.now - start))")

        start = clock.now
        let released = try await platform.holdRelease.run()
        print("  hold release scan: \(seconds(clock.now - start)), \(released) due (every order is released already)")

        start = clock.now
        let dry = try await platform.payouts.run(PayoutRunRequest(dryRun: true))
        print("  dry run:  \(seconds(clock.now - start)), \(dry.payouts.count) payouts planned, \(dry.skipped.count) skipped")

        start = clock.now
        let real = try await platform.payouts.run(PayoutRunRequest())
        let elapsed = clock.now - start
        let sent = real.payouts.filter { $0.status == "sent" }.count
        print("  real run: \(seconds(elapsed)), \(rate(real.payouts.count, elapsed)) payouts/s; \(sent) sent, \(real.payouts.count - sent) not")

        start = clock.now
        let drainers = bench.database.engine == .postgres ? 4 : 1
        let inbox = platform.inbox
        let settled = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<drainers { group.addTask { await inbox.drain() } }
            return await group.reduce(0, +)
        }
        print("  settlement: \(seconds(clock.now - start)) for \(settled) Sandbox payout.paid webhooks, \(drainers) inbox worker(s)")

        let wrong = real.payouts.filter { generated[$0.organizerID] != $0.amount.minorUnits }.count
        let again = try await platform.payouts.run(PayoutRunRequest(dryRun: true))
        print("  amounts off: \(wrong); payouts a second run would make: \(again.payouts.count)")
        var discrepancies = 0
        if verify {
            start = clock.now
            discrepancies = try await bench.database.read { sql in try await LedgerInvariants.check(on: sql) }.count
            print("  ledger verify: \(seconds(clock.now - start)), \(discrepancies) discrepancies")
        }
        await bench.close()
        if real.payouts.count != generated.count || sent != generated.count || wrong > 0 || !again.payouts.isEmpty || discrepancies > 0 {
            throw ExitCode.failure
        }
    }

    func seconds(_ duration: Duration) -> String {
        String(format: "%.2f s", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}

/// Organizers with an ended event, paid orders, and each order's payment and release booked as
/// the platform books them, written in multi-row statements.
struct PayoutBenchData {
    let database: any Database
    let now: Timestamp

    /// Each organizer's available net, by id.
    func generate(orders: Int, organizers: Int) async throws -> [OrganizerID: Int64] {
        let day: Int64 = 24 * 60
        let paidAt = now.adding(minutes: -30 * day), endedAt = now.adding(minutes: -20 * day)
        var nets: [OrganizerID: Int64] = [:]
        var people: [(OrganizerID, EventID)] = []
        for _ in 0..<organizers {
            let organizer = OrganizerID.generate(at: now)
            people.append((organizer, EventID.generate(at: now)))
            nets[organizer] = 0
        }
        for chunk in people.chunks(of: 1_000) {
            try await database.transaction { sql in
                try await insert(sql, "organizers", "id, name, slug, email, created_at", chunk.map { organizer, _ in
                    [organizer.rawValue, "Bench \(organizer)", "bench-\(organizer)".lowercased(), "payouts@bench.example", now.milliseconds]
                })
                try await insert(sql, "events", "id, organizer_id, title, starts_at, ends_at, timezone, currency, status, reservation_minutes, "
                                 + "redirect_origins, created_at, updated_at", chunk.map { organizer, event in
                    [event.rawValue, organizer.rawValue, "Ended night", endedAt.adding(minutes: -180).milliseconds, endedAt.milliseconds, "UTC",
                     "EUR", "live", 15, "[]", paidAt.milliseconds, paidAt.milliseconds]
                })
                try await insert(sql, "payout_methods", "organizer_id, provider, account, updated_at", chunk.map { organizer, _ in
                    [organizer.rawValue, "sandbox", "sandbox:bench", paidAt.milliseconds]
                })
            }
        }
        let split = try FeePolicy.standard.split(Money(minorUnits: 2_500, currency: .eur))
        let batch = 500
        for start in stride(from: 0, to: orders, by: batch) {
            let range = start..<min(start + batch, orders)
            var orderRows: [[any Encodable & Sendable]] = []
            var transferRows: [[any Encodable & Sendable]] = []
            for index in range {
                let (organizer, event) = people[index % people.count]
                let order = OrderID.generate(at: paidAt)
                orderRows.append([order.rawValue, organizer.rawValue, event.rawValue, "paid", "sold", "buyer@bench.example", "EUR", 2_500, "sandbox",
                                  "sbx_pay_\(order)", "bench", paidAt.milliseconds, paidAt.milliseconds, paidAt.milliseconds, paidAt.milliseconds])
                let clearing = "clearing:sandbox", pending = "organizer_pending:\(organizer)", available = "organizer_available:\(organizer)"
                transferRows.append(["order-net:\(order)", "order_net", "EUR", split.net.minorUnits, clearing, pending, organizer.rawValue,
                                     order.rawValue, paidAt.milliseconds])
                transferRows.append(["order-fee:\(order)", "order_fee", "EUR", split.fee.minorUnits, clearing, "fee_revenue", organizer.rawValue,
                                     order.rawValue, paidAt.milliseconds])
                transferRows.append(["release:\(order)", "release", "EUR", split.net.minorUnits, pending, available, organizer.rawValue,
                                     order.rawValue, endedAt.adding(minutes: 7 * day).milliseconds])
                nets[organizer, default: 0] += split.net.minorUnits
            }
            let (orderBatch, transferBatch) = (orderRows, transferRows)
            try await database.transaction { sql in
                try await insert(sql, "orders", "id, organizer_id, event_id, status, seats, email, currency, total, provider, provider_payment, "
                                 + "access_token_hash, expires_at, paid_at, created_at, updated_at", orderBatch)
                try await insert(sql, "ledger_transfers", "id, kind, currency, amount, debit_account, credit_account, organizer_id, order_id, booked_at",
                                 transferBatch)
            }
        }
        return nets
    }

    func insert(_ sql: any SQLDatabase, _ table: String, _ columns: String, _ rows: [[any Encodable & Sendable]]) async throws {
        guard !rows.isEmpty else { return }
        var query: SQLQueryString = "INSERT INTO \(unsafeRaw: table) (\(unsafeRaw: columns)) VALUES "
        for (index, row) in rows.enumerated() {
            query += index == 0 ? "(" : ", ("
            for (column, value) in row.enumerated() {
                query += column == 0 ? "\(bind: value)" : ", \(bind: value)"
            }
            query += ")"
        }
        try await sql.raw(query).run()
    }
}
