import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import Platform
import PlatformTesting
import X509

@main
struct PlatformBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "platform-bench",
        abstract: "Benchmarks that print figures (SQLite by default; DATABASE_URL selects PostgreSQL).",
        subcommands: [CampaignCommand.self, CheckoutBench.self, WebhookBench.self, QRBench.self, ScanBench.self, VerifyBench.self, OutboxBench.self,
                      PayoutBench.self, PayPalVerifyBench.self, CompareFixtures.self, CompareSold.self])
}

struct CheckoutBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkout", abstract: "Concurrent buyers on one hot variant through the Sandbox (or PayPal) provider, over HTTP.")

    @Option(help: "Concurrent clients.") var clients = 100
    @Option(help: "Orders attempted in all.") var orders = 5_000
    @Option(help: "Seats in the hot variant (default: 80% of the orders, so some buyers are refused).") var quota: Int?
    @Option(help: "sandbox, or paypal: the PayPal plugin against a fake PayPal served in this process.") var provider = "sandbox"

    func run() async throws {
        switch provider {
        case "sandbox": try await measure(settings: [:])
        case "paypal":
            let fake = try FakePayPal(clock: SystemClock())
            let anchors = FileManager.default.temporaryDirectory.appendingPathComponent("bench-paypal-\(UUID().uuidString).pem")
            try fake.ca.certificate.serializeAsPEM().pemString.write(to: anchors, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: anchors) }
            try await fake.serving { base in
                try await measure(settings: ["PAYPAL_CLIENT_ID": FakePayPal.clientID, "PAYPAL_CLIENT_SECRET": FakePayPal.clientSecret,
                                             "PAYPAL_WEBHOOK_ID": FakePayPal.webhookID, "PAYPAL_API_BASE": base,
                                             "PAYPAL_TRUST_ANCHORS": anchors.path])
            }
        default: throw ValidationError("--provider must be sandbox or paypal")
        }
    }

    func measure(settings: [String: String]) async throws {
        let seats = Int64(quota ?? orders * 4 / 5)
        let platform = try await BenchPlatform.make(quota: seats, extra: settings)
        let path = "/api/v1/public/events/\(platform.eventID)/orders"
        let body = #"{"lines":[{"variant_id":"\#(platform.variantID)","quantity":1}],"email":"buyer@bench.example","provider":"\#(provider)"}"#
        let cpu = CPUTime.now()
        let result = try await platform.serving(workers: true) { port in
            try await socketLoad(port: port, clients: clients, total: orders, request: { index in
                SocketClient.post(path, json: body, headers: [("Idempotency-Key", "bench-\(index)")])
            }, judge: { status, _ in status })
        }
        let used = CPUTime.now().per("order request", since: cpu, count: result.samples.count, engine: platform.database.engine, clients: true)
        let counts = try await platform.counts()
        let placed = result.samples.filter { $0.1 == 201 }.count
        let refused = result.samples.filter { $0.1 == 409 }.count
        let other = result.samples.count - placed - refused
        let oversold = max(0, counts.sold + counts.reserved - seats) + Int64(max(0, placed - Int(seats)))
        print("""
            checkout (\(provider)) on \(platform.database.engine): \(clients) clients, \(orders) orders for \(seats) seats of one variant
              \(rate(result.samples.count, result.elapsed)) requests/s (\(rate(placed, result.elapsed)) orders placed/s), \(percentiles(result.samples.map(\.0)))
              placed \(placed), refused as sold out \(refused), other answers \(other); held \(counts.reserved), oversold \(oversold)
              \(used)
            """)
        await platform.close()
        if oversold > 0 || other > 0 { throw ExitCode.failure }
    }
}

struct WebhookBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks", abstract: "Signed Sandbox payment webhooks: verified deliveries into the inbox, then processing.")

    @Option(help: "Concurrent senders.") var clients = 100
    @Option(help: "Webhooks (one paid order each).") var count = 5_000
    @Option(help: "Concurrent inbox workers while processing (default 1 on SQLite, 4 on PostgreSQL).") var workers: Int?
    @Flag(help: "Queue no confirmation email per paid order (the target counts it queued).") var withoutConfirmation = false

    func run() async throws {
        let platform = try await BenchPlatform.make(quota: Int64(count), mail: !withoutConfirmation)
        let checkout = platform.platform.checkout
        let input = CheckoutInput(eventID: platform.eventID, lines: [CartLine(variantID: platform.variantID, quantity: 1)],
                                  email: "buyer@bench.example", provider: "sandbox")
        var orderIDs: [String] = []
        for _ in 0..<count { orderIDs.append(try await checkout.place(input).order.id.rawValue) }
        let ids = orderIDs
        let ingest = try await platform.serving(workers: false) { port in
            try await load(clients: clients, total: count) { client, index in
                try await client.call(sandboxPayment(port: port, order: ids[index], amount: 2_500)).status
            }
        }
        let accepted = ingest.samples.filter { $0.1 == 200 }.count
        let drainers = workers ?? (platform.database.engine == .postgres ? 4 : 1)
        let worker = platform.platform.inbox
        let clock = ContinuousClock()
        let cpu = CPUTime.now()
        let start = clock.now
        let processed = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<drainers { group.addTask { await worker.drain() } }
            return await group.reduce(0, +)
        }
        let processing = clock.now - start
        let used = CPUTime.now().per("webhook", since: cpu, count: processed, engine: platform.database.engine)
        let counts = try await platform.counts()
        struct Queued: Decodable { let n: Int64 }
        let queued = try await platform.database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM outbox_messages").first(decoding: Queued.self)?.n ?? 0
        }
        print("""
            webhooks on \(platform.database.engine): \(count) signed deliveries from \(clients) senders, \(drainers) inbox worker(s), \
            confirmation emails \(withoutConfirmation ? "not queued" : "queued")
              ingest: \(rate(accepted, ingest.elapsed)) verified deliveries/s stored, \(percentiles(ingest.samples.map(\.0))), \(count - accepted) not accepted
              processing: \(rate(processed, processing)) webhooks/s applied (\(processed) in all); seats sold \(counts.sold), still held \(counts.reserved), \
            emails queued \(queued)
              \(used)
            """)
        await platform.close()
        if accepted != count || counts.sold != Int64(count) || queued != (withoutConfirmation ? 0 : Int64(count)) { throw ExitCode.failure }
    }
}
