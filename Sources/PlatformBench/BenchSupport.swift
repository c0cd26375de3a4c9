import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Platform
import PlatformServer
import Synchronization
import Ticketing

/// A throwaway platform for a benchmark, assembled as `platform serve` assembles it: its own
/// database (or `DATABASE_URL`), one live event with one hot variant, and the server running in
/// this process on a free port.
struct BenchPlatform: Sendable {
    static let sandboxSecret = "bench-sandbox-secret"
    /// Tickets are signed with keys derived from it: a server scanning them needs the same.
    static let ticketKeySecret = "bench-ticket-key-secret"

    let platform: Platform
    let organizerID: OrganizerID
    let eventID: EventID
    let variantID: VariantID
    let quota: Int64
    let scratch: URL?
    var database: any Database { platform.database }

    /// The benchmark's settings over the process environment. With `mail`, paid orders queue
    /// their confirmation emails as a served platform does; `extra` adds settings (a mail provider).
    /// The one variant is named `variant`.
    static func make(quota: Int64, variant name: String = "Hot", mail: Bool = false, extra: [String: String] = [:]) async throws
        -> BenchPlatform {
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        var environment = ProcessInfo.processInfo.environment.merging([
            "PORT": "0", "LOG_LEVEL": "error", "CHECKOUT_RATE_LIMIT": String(Int.max), "CHECKIN_RATE_LIMIT": "1000000",
            "SANDBOX_ENABLED": "true", "SANDBOX_SECRET": sandboxSecret, "TICKET_KEY_SECRET": ticketKeySecret,
        ].merging(extra) { $1 }) { $1 }
        var scratch: URL?
        if environment["DATABASE_URL", default: ""].isEmpty {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("platform-bench-\(UUID().uuidString)")
            scratch = directory
            environment["DATABASE_URL"] = "sqlite:" + directory.appendingPathComponent("bench.sqlite").path
            environment["MAIL_OUTBOX_DIR"] = directory.appendingPathComponent("outbox").path
        }
        let assembly = try Assembly(environment: environment, logger: logger, orderConfirmations: mail)
        let database = try await DatabaseFactory.openMigrated(url: assembly.config.databaseURL, environment: environment, logger: logger)
        let platform = try await assembly.platform(database: database)
        let catalog = platform.catalog
        let clock = platform.clock
        let slug = "bench-" + String(UUID().uuidString.prefix(8)).lowercased()
        let (organizer, _) = try await catalog.createOrganizer(name: "Bench", slug: slug, email: "bench@bench.example", feeBasisPoints: nil)
        let event = try await catalog.createEvent(
            NewEvent(title: "Bench Night", startsAt: clock.now().adding(minutes: 60 * 24 * 7), timezone: "UTC", currency: .eur, status: .live,
                     reservationMinutes: 60), organizer: organizer.id)
        let (variant, _) = try await catalog.createVariant(NewVariant(name: name, price: 2_500, quota: quota, status: .live),
                                                           event: event.id, organizer: organizer.id)
        return BenchPlatform(platform: platform, organizerID: organizer.id, eventID: event.id, variantID: variant.id, quota: quota,
                             scratch: scratch)
    }

    /// Serves until `body` returns; the port it listens on is passed in.
    func serving<T: Sendable>(workers: Bool, _ body: @escaping @Sendable (Int) async throws -> T) async throws -> T {
        let port = Mutex<Int?>(nil)
        let app = buildApplication(platform, runWorkers: workers) { bound in port.withLock { $0 = bound } }
        let server = Task { try await app.runService(gracefulShutdownSignals: []) }
        defer { server.cancel() }
        for _ in 0..<200 where port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(25)) }
        guard let bound = port.withLock({ $0 }) else { throw ConfigError("the benchmark server did not start") }
        return try await body(bound)
    }

    var ticketing: TicketingModule {
        // The assembly installs it.
        platform.modules.compactMap { $0 as? TicketingModule }[0]
    }

    func counts() async throws -> (sold: Int64, reserved: Int64) {
        struct Row: Decodable { let sold: Int64, reserved: Int64 }
        let variantID = self.variantID
        let row = try await database.read { sql in
            try await sql.raw("SELECT sold, reserved FROM ticket_variants WHERE id = \(bind: variantID.rawValue)").first(decoding: Row.self)
        }
        return (row?.sold ?? 0, row?.reserved ?? 0)
    }

    func close() async {
        await database.close()
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }
}

/// A signed Sandbox "payment succeeded" webhook for `order`. Event and payment ids are derived from
/// the order id, so runs against a database kept from an earlier run are not taken for redeliveries.
func sandboxPayment(port: Int, order: String, amount: Int) -> HTTPClientRequest {
    let body = #"{"id":"sbx_evt_\#(order)","type":"payment.succeeded","data":{"order_id":"\#(order)","amount":\#(amount),"currency":"EUR","payment_id":"sbx_pay_\#(order)"}}"#
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/webhooks/sandbox")
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    request.headers.add(name: "Sandbox-Signature", value: TimestampedSignature.header(
        body: Data(body.utf8), secret: BenchPlatform.sandboxSecret, timestamp: Int64(Date().timeIntervalSince1970)))
    request.body = .bytes(ByteBuffer(string: body))
    return request
}

extension HTTPClient {
    /// Sends `request` and reads the whole answer: its status code and body.
    func call(_ request: HTTPClientRequest) async throws -> (status: UInt, body: ByteBuffer) {
        let response = try await execute(request, timeout: .seconds(60))
        return (response.status.code, try await response.body.collect(upTo: 1 << 20))
    }
}

/// Sends requests from `clients` concurrent tasks until `total` have been made; returns each
/// request's latency and status.
func load(clients: Int, total: Int, _ send: @escaping @Sendable (HTTPClient, Int) async throws -> UInt) async throws
    -> (elapsed: Duration, samples: [(Duration, UInt)]) {
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: clients)
    let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    let next = Counter()
    let clock = ContinuousClock()
    let start = clock.now
    let samples = try await withThrowingTaskGroup(of: [(Duration, UInt)].self) { group in
        for _ in 0..<clients {
            group.addTask {
                var mine: [(Duration, UInt)] = []
                while true {
                    let index = next.take()
                    guard index < total else { return mine }
                    let began = clock.now
                    let status = try await send(client, index)
                    mine.append((clock.now - began, status))
                }
            }
        }
        return try await group.reduce(into: []) { $0 += $1 }
    }
    let elapsed = clock.now - start
    try await client.shutdown()
    return (elapsed, samples)
}

/// "p50 1.23 ms  p99 4.56 ms" of the given latencies.
func percentiles(_ latencies: [Duration]) -> String {
    let sorted = latencies.sorted()
    guard !sorted.isEmpty else { return "no samples" }
    func at(_ fraction: Double) -> String {
        let value = sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
        let micros = value.components.seconds * 1_000_000 + value.components.attoseconds / 1_000_000_000_000
        return String(format: "%.2f ms", Double(micros) / 1000)
    }
    return "p50 \(at(0.50))  p99 \(at(0.99))"
}

func rate(_ count: Int, _ elapsed: Duration) -> String {
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return String(format: "%.0f", Double(count) / max(seconds, 1e-9))
}

/// Hands out 0, 1, 2, ... to concurrent senders.
final class Counter: Sendable {
    private let value = Mutex(0)
    func take() -> Int {
        value.withLock { value in
            defer { value += 1 }
            return value
        }
    }

    /// How many were handed out.
    var taken: Int { value.withLock { $0 } }
}
