import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import Platform
import SQLKit
import Ticketing

extension BenchPlatform {
    /// `orders` paid Sandbox orders of `seats` tickets each, paid through signed webhooks and the inbox.
    func paidTickets(orders: Int, seats: Int) async throws -> [String] {
        let checkout = platform.checkout
        let input = CheckoutInput(eventID: eventID, lines: [CartLine(variantID: variantID, quantity: Int64(seats))],
                                  email: "buyer@bench.example", provider: "sandbox")
        var ids: [String] = []
        for _ in 0..<orders { ids.append(try await checkout.place(input).order.id.rawValue) }
        let orderIDs = ids
        _ = try await serving(workers: false) { port in
            try await load(clients: 16, total: orders) { client, index in
                try await client.call(sandboxPayment(port: port, order: orderIDs[index], amount: 2_500 * seats)).status
            }
        }
        await platform.inbox.drain()
        struct Row: Decodable { let token: String }
        let tokens = try await database.read { sql in
            try await sql.raw("""
                SELECT token FROM tickets WHERE event_id = \(bind: eventID.rawValue) AND status = 'valid' ORDER BY id
                """).all(decoding: Row.self).map(\.token)
        }
        guard tokens.count == orders * seats else {
            throw ValidationError("\(tokens.count) of \(orders * seats) tickets were issued: the payments did not all apply")
        }
        return tokens
    }
}

struct QRBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "qr", abstract: "QR PNGs of a real ticket token rendered on one core.")

    @Option(help: "PNGs to render.") var count = 5_000
    @Option(help: "Pixels per module.") var scale = 4

    func run() async throws {
        let platform = try await BenchPlatform.make(quota: 1)
        let token = try await platform.paidTickets(orders: 1, seats: 1)[0]
        await platform.close()
        let symbol = try QRCode.symbol(for: token)
        let sample = try QRCode.png(for: token, scale: scale)
        let clock = ContinuousClock()
        let start = clock.now
        var bytes = 0
        for _ in 0..<count { bytes &+= try QRCode.png(for: token, scale: scale).count }
        let elapsed = clock.now - start
        let symbolStart = clock.now
        var modules = 0
        for _ in 0..<count { modules &+= try QRCode.symbol(for: token).width }
        let symbolElapsed = clock.now - symbolStart
        let libraryStart = clock.now
        for _ in 0..<count { modules &+= try QRCode.librarySymbol(for: token).width }
        let libraryElapsed = clock.now - libraryStart
        print("""
            qr: token of \(token.utf8.count) characters -> QR version \(symbol.version) (\(symbol.width)x\(symbol.width) modules, ECC M), \
            \(scale) px/module -> \((symbol.width + 8) * scale) px PNG of \(sample.count) bytes
              \(rate(count, elapsed)) PNGs/s on one core (\(count) rendered, \(bytes / max(count, 1)) bytes each); \
            the symbol alone: \(rate(count, symbolElapsed))/s (libqrencode scoring the masks itself: \(rate(count, libraryElapsed))/s)
            """)
    }
}

struct ScanBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan", abstract: "Online check-in over HTTP: every ticket scanned once by devices at once.")

    @Option(help: "Tickets (each scanned once).") var tickets = 5_000
    @Option(help: "Concurrent door devices.") var devices = 16
    @Flag(help: "Then scan every ticket again, and report those re-scans (answered already_admitted) apart.") var rescans = false

    func run() async throws {
        let seats = 10
        let platform = try await BenchPlatform.make(quota: Int64(tickets))
        let tokens = try await platform.paidTickets(orders: tickets / seats, seats: seats)
        var keys: [String] = []
        for index in 0..<devices {
            let key = try await platform.database.transaction { sql in
                try await APIKeys.issue(scope: .device(platform.organizerID, platform.eventID), label: "door \(index)", on: sql, at: SystemClock().now())
            }
            keys.append(key.secret)
        }
        let (deviceKeys, list, devices, engine) = (keys, tokens, devices, platform.database.engine)
        /// Every ticket scanned once by the devices; a sample counts as 200 when its answer holds `expected`.
        @Sendable func pass(_ port: Int, nonce: String, expected: String) async throws -> (elapsed: Duration, samples: [(Duration, UInt)], cpu: String) {
            let mark = Array(#""result":"\#(expected)""#.utf8)
            let cpu = CPUTime.now()
            let result = try await socketLoad(port: port, clients: devices, total: list.count, request: { index in
                SocketClient.post("/api/v1/checkin/scan", json: #"{"token":"\#(list[index])","nonce":"\#(nonce)-\#(index)"}"#,
                                  headers: [("Authorization", "Bearer \(deviceKeys[index % deviceKeys.count])")])
            }, judge: { status, body in
                status == 200 && body.firstRange(of: mark) != nil ? 200 : 0
            })
            let what = expected == "admitted" ? "scan" : "re-scan"
            return (result.elapsed, result.samples, CPUTime.now().per(what, since: cpu, count: result.samples.count, engine: engine, clients: true))
        }
        let rescans = self.rescans
        let (first, again) = try await platform.serving(workers: false) { port in
            let first = try await pass(port, nonce: "bench", expected: "admitted")
            return (first, rescans ? try await pass(port, nonce: "again", expected: "already_admitted") : nil)
        }
        let admitted = first.samples.filter { $0.1 == 200 }.count
        print("""
            scan on \(engine): \(list.count) tickets, each scanned once by \(devices) concurrent devices
              \(rate(first.samples.count, first.elapsed)) scans/s, \(percentiles(first.samples.map(\.0))); admitted \(admitted)
              \(first.cpu)
            """)
        let answered = again?.samples.filter { $0.1 == 200 }.count ?? 0
        if let again {
            print("""
                  re-scans: \(rate(again.samples.count, again.elapsed)) re-scans/s, \(percentiles(again.samples.map(\.0))); \
                answered already_admitted \(answered)
                  \(again.cpu)
                """)
        }
        await platform.close()
        if admitted != list.count || (again != nil && answered != list.count) { throw ExitCode.failure }
    }
}

struct VerifyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Offline token verifications against a signed bundle, on one core.")

    @Option(help: "Tickets in the bundle.") var tickets = 1_000
    @Option(help: "Verifications.") var count = 50_000

    func run() async throws {
        let platform = try await BenchPlatform.make(quota: Int64(tickets))
        let tokens = try await platform.paidTickets(orders: tickets / 10, seats: 10)
        let bundle = try await platform.ticketing.offline.bundle(event: platform.eventID, organizer: platform.organizerID)
        await platform.close()
        let verifier = try await OfflineVerifier(bundle: bundle)
        let now = SystemClock().now()
        let clock = ContinuousClock()
        let start = clock.now
        var admitted = 0
        for index in 0..<count where await verifier.decide(tokens[index % tokens.count], now: now).result == .admitted { admitted += 1 }
        let elapsed = clock.now - start
        print("""
            verify: \(count) offline verifications (Ed25519 signature, expiry, bundle status) against a bundle of \(tokens.count) tickets
              \(rate(count, elapsed)) verifications/s on one task; \(admitted) admitted
            """)
        if admitted != count { throw ExitCode.failure }
    }
}
