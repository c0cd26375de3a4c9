import ArgumentParser
import Foundation
import Logging
import Platform
import SQLKit

/// The platform's side of Benchmarks/compare-pretix.sh: seeds DATABASE_URL for a `platform serve`
/// started separately (with `SANDBOX_ENABLED=true` and this tool's `TICKET_KEY_SECRET`) and writes
/// what Benchmarks/compare/loadgen.py sends it.
struct CompareFixtures: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fixtures",
        abstract: "Seeds DATABASE_URL for the side-by-side with pretix: a live event, a hot variant, paid tickets, a door key.",
        discussion: """
            Writes the load generator's TARGET.json (orders on the hot variant through the Sandbox, scans with a door \
            device key) and the paid tickets' tokens, one per line. The server must run with TICKET_KEY_SECRET=\
            \(BenchPlatform.ticketKeySecret) to admit them.
            """)

    @Option(help: "The port the served platform listens on.") var port: Int
    @Option(help: "Where to write TARGET.json.") var target: String
    @Option(help: "Where to write the paid tickets' tokens.") var tokens: String
    @Option(help: "Seats of the hot variant.") var hotSeats = 1_000
    @Option(help: "Paid tickets for check-in.") var tickets = 20_000
    @Option(help: "Tickets per paid order.") var ticketsPerOrder = 10

    func run() async throws {
        guard tickets % ticketsPerOrder == 0 else { throw ValidationError("--tickets must be a multiple of --tickets-per-order") }
        let clock = ContinuousClock()
        let began = clock.now
        let bench = try await BenchPlatform.make(quota: Int64(tickets), variant: "Scan")
        let (hot, _) = try await bench.platform.catalog.createVariant(
            NewVariant(name: "Hot", price: 2_500, quota: Int64(hotSeats), status: .live), event: bench.eventID, organizer: bench.organizerID)
        let list = try await bench.paidTickets(orders: tickets / ticketsPerOrder, seats: ticketsPerOrder)
        let door = try await bench.database.transaction { sql in
            try await APIKeys.issue(scope: .device(bench.organizerID, bench.eventID), label: "compare door", on: sql, at: SystemClock().now())
        }
        let description: [String: Any] = [
            "system": "platform", "port": port, "server_process": "platform serve", "headers": [String: String](),
            "order": [
                "path": "/api/v1/public/events/\(bench.eventID)/orders", "idempotency_key": true,
                "body": ["lines": [["variant_id": hot.id.rawValue, "quantity": 1]], "email": "buyer@example.org", "provider": "sandbox"],
                "ok": [201], "sold_out": ["status": [409], "contains": "not enough"],
            ],
            "scan": [
                "path": "/api/v1/checkin/scan", "headers": ["Authorization": "Bearer \(door.secret)"], "body": ["token": "{token}"],
                "json_field": "result", "ok": ["admitted"], "again": ["already_admitted"], "again_when": [String: [String]](),
            ],
            "hot_variant": hot.id.rawValue,
        ]
        try JSONSerialization.data(withJSONObject: description, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: target))
        try (list.joined(separator: "\n") + "\n").write(toFile: tokens, atomically: true, encoding: .utf8)
        let elapsed = clock.now - began
        print("platform (\(bench.database.engine)): event \(bench.eventID), hot variant \(hot.id) of \(hotSeats) seats, "
              + "\(list.count) paid tickets in \(list.count / ticketsPerOrder) orders, seeded in \(elapsed.components.seconds) s")
        await bench.close()
    }
}

/// Seats of a hot variant taken by orders that are pending or paid: the oversell check.
struct CompareSold: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sold", abstract: "Prints the seats of TARGET.json's hot variant held or sold by pending and paid orders (DATABASE_URL).")

    @Argument(help: "The TARGET.json `fixtures` wrote.") var target: String

    func run() async throws {
        struct Target: Decodable { let hot_variant: String }
        let variant = try JSONDecoder().decode(Target.self, from: Data(contentsOf: URL(fileURLWithPath: target))).hot_variant
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let database = try await DatabaseFactory.open(url: ProcessInfo.processInfo.environment["DATABASE_URL"], logger: logger)
        struct Row: Decodable { let taken: Int64? }
        let row = try await database.read { sql in
            try await sql.raw("""
                SELECT CAST(COALESCE(SUM(l.quantity), 0) AS BIGINT) AS taken FROM order_lines l JOIN orders o ON o.id = l.order_id
                WHERE l.variant_id = \(bind: variant) AND o.status IN ('pending', 'paid')
                """).first(decoding: Row.self)
        }
        await database.close()
        print(row?.taken ?? 0)
    }
}
