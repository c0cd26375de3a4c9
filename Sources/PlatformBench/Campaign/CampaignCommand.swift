import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import Platform
import PlatformTesting
import SQLKit
import NIOHTTP1
import Synchronization

/// The crash and scale-out campaigns of `docs/reliability.md`: end-to-end flows against real
/// `platform serve` processes (Stripe and Resend are local fakes speaking their wire formats),
/// servers killed with SIGKILL at random moments and started again, then every promise checked
/// in the database, at the fakes and in the servers' logs.
struct CampaignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign",
        abstract: "End-to-end flows while servers are killed (crash) or several serve one PostgreSQL (scale-out); exits 1 on any broken promise.")

    @Option(help: "End-to-end flows (order, payment webhook, tickets, confirmation, scan; every tenth refunded).") var flows = 1_000
    @Option(help: "SIGKILLs of a random server, spread over the flows; each is started again at once.") var kills = 20
    @Option(help: "`platform serve` processes (more than one needs PostgreSQL in DATABASE_URL).") var servers = 1
    @Option(help: "Concurrent buyers.") var clients = 16
    @Option(help: "Seats on sale; the default is 80% of what the flows ask for, so the last buyers find it sold out.") var quota: Int?
    @Option(help: "The servers' LOG_LEVEL; debug logs the most, for the search for secrets.") var logLevel = "debug"
    @Option(help: "Restarts of the database, spread over the flows, each by running --restart-database.") var databaseRestarts = 0
    @Option(help: "A shell command that restarts the database server (pg_ctl restart …); the servers must reconnect by themselves.")
    var restartDatabase: String?
    @Option(help: "Keep the servers' logs here instead of a temporary directory.") var logs: String?

    func run() async throws {
        let directory = logs.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("platform-campaign-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let environment = ProcessInfo.processInfo.environment
        let url = environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "sqlite:" + directory.appendingPathComponent("campaign.sqlite").path
        guard servers == 1 || url.hasPrefix("postgres") else { throw ValidationError("--servers \(servers) needs DATABASE_URL=postgres://…") }
        guard databaseRestarts == 0 || restartDatabase != nil else { throw ValidationError("--database-restarts needs --restart-database") }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("platform").path
        guard FileManager.default.isExecutableFile(atPath: executable) else { throw ValidationError("build `platform` first: \(executable)") }
        let seats = quota ?? flows * 3 / 2 * 4 / 5
        let logger = Logger(label: "campaign", factory: { _ in SwiftLogNoOpLogHandler() })
        // On PostgreSQL the campaign has a schema of its own, dropped afterwards unless its logs are kept.
        var schema: String?
        var campaignURL = url
        if url.hasPrefix("postgres") {
            let name = "campaign_" + String(UUID().uuidString.prefix(8)).lowercased()
            try await Self.onServer(url, logger: logger) { sql in try await sql.raw("CREATE SCHEMA \(unsafeRaw: name)").run() }
            schema = name
            campaignURL = url + (url.contains("?") ? "&" : "?") + "search_path=" + name
        }
        let failures = try await CampaignRun(flows: flows, kills: kills, servers: servers, clients: clients, quota: seats, logLevel: logLevel,
                                             directory: directory, databaseURL: campaignURL, executable: executable,
                                             databaseRestarts: databaseRestarts, restartDatabase: restartDatabase).run()
        if logs == nil {
            try? FileManager.default.removeItem(at: directory)
            if let schema { try await Self.onServer(url, logger: logger) { sql in try await sql.raw("DROP SCHEMA \(unsafeRaw: schema) CASCADE").run() } }
        }
        if failures > 0 {
            print("\(failures) promise(s) broken")
            throw ExitCode.failure
        }
        print("every promise held")
    }
}

extension CampaignCommand {
    static func onServer(_ url: String, logger: Logger, _ body: @escaping @Sendable (any SQLDatabase) async throws -> Void) async throws {
        let database = try await DatabaseFactory.open(url: url, logger: logger)
        do {
            try await database.transaction(body)
        } catch {
            await database.close()
            throw error
        }
        await database.close()
    }
}

/// One campaign, from the fakes' start to the checks.
struct CampaignRun: Sendable {
    static let ticketKeySecret = "campaign-ticket-key-secret-0123456789"
    let flows: Int, kills: Int, servers: Int, clients: Int, quota: Int
    let logLevel: String
    let directory: URL
    let databaseURL: String
    let executable: String
    let databaseRestarts: Int
    let restartDatabase: String?

    /// - Returns: the number of broken promises.
    func run() async throws -> Int {
        let stripe = FakeStripe(clock: SystemClock())
        let resend = FakeResend()
        return try await stripe.serving { stripeBase in
            try await resend.serving { resendBase in
                try await campaign(stripe: stripe, stripeBase: stripeBase, resend: resend, resendBase: resendBase)
            }
        }
    }

    private func campaign(stripe: FakeStripe, stripeBase: String, resend: FakeResend, resendBase: String) async throws -> Int {
        let environment = ProcessInfo.processInfo.environment.merging([
            "DATABASE_URL": databaseURL, "LOG_LEVEL": logLevel, "HOST": "127.0.0.1",
            "STRIPE_SECRET_KEY": FakeStripe.secretKey, "STRIPE_WEBHOOK_SECRET": FakeStripe.webhookSecret, "STRIPE_API_BASE": stripeBase,
            "RESEND_API_KEY": FakeResend.apiKey, "RESEND_API_BASE": resendBase, "RESEND_RATE_LIMIT": "100000",
            "CHECKOUT_RATE_LIMIT": "100000000", "CHECKIN_RATE_LIMIT": "1000000", "TICKET_KEY_SECRET": Self.ticketKeySecret,
            "PAYOUT_HOLD_FROM": "payment", "PAYOUT_HOLD_DAYS": "0", "MAIL_OUTBOX_DIR": directory.appendingPathComponent("outbox").path,
        ]) { $1 }
        let created = try await ChildProcess.run(executable, ["admin", "create-key"], environment: environment)
        let adminKey = String(decoding: created.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard created.status == 0, adminKey.hasPrefix("plk_") else {
            throw CampaignFailure("platform admin create-key: \(String(decoding: created.stderr, as: UTF8.self))")
        }
        let logger = Logger(label: "campaign", factory: { _ in SwiftLogNoOpLogHandler() })
        let database = try await DatabaseFactory.openMigrated(url: databaseURL, environment: [:], logger: logger)
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: clients * 2)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let fleet = try ServerFleet(executable: executable, environment: environment, count: servers, directory: directory, client: client)
        do {
            let failures = try await drive(fleet: fleet, client: client, database: database, adminKey: adminKey, stripe: stripe, resend: resend)
            try? await client.shutdown()
            await database.close()
            return failures
        } catch {
            await fleet.stopAll()
            try? await client.shutdown()
            await database.close()
            throw error
        }
    }

    private func drive(fleet: ServerFleet, client: HTTPClient, database: any Database, adminKey: String, stripe: FakeStripe,
                       resend: FakeResend) async throws -> Int {
        let clock = ContinuousClock()
        let began = clock.now
        try await fleet.startAll()
        let api = CampaignAPI(client: client, bases: fleet.bases)
        let setup = try await CampaignSetup.make(api: api, adminKey: adminKey, quota: quota)
        print("campaign on \(database.engine): \(flows) flows, \(clients) buyers at once, \(servers) server(s), \(kills) kills planned, \(quota) seats")

        let flowsRun = CampaignFlows(api: api, stripe: stripe, setup: setup)
        let next = Counter(), finished = Counter()
        let running = Switch(true)
        let payoutRuns = Counter()
        // Kills are spread over the flows by progress, so a slow machine gets as many as a fast one.
        let thresholds = (1...max(kills, 1)).map { flows * $0 / (kills + 1) }.prefix(kills)
        let killer = Task {
            for threshold in thresholds {
                while finished.taken < threshold && running.isOn { try await Task.sleep(for: .milliseconds(20)) }
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...400)))
                try await fleet.killAndRestart(Int.random(in: 0..<fleet.bases.count))
            }
        }
        // Database restarts fall between the kills; the task returns how long each took.
        let restarter = Task { () -> [Duration] in
            guard let command = restartDatabase, databaseRestarts > 0 else { return [] }
            var took: [Duration] = []
            for step in 1...databaseRestarts {
                let threshold = flows * (2 * step - 1) / (2 * databaseRestarts + 1)
                while finished.taken < threshold && running.isOn { try await Task.sleep(for: .milliseconds(20)) }
                let began = ContinuousClock.now
                let outcome = try await ChildProcess.run("/bin/sh", ["-c", command])
                guard outcome.status == 0 else { throw CampaignFailure("restarting the database: \(String(decoding: outcome.stderr, as: UTF8.self))") }
                took.append(ContinuousClock.now - began)
            }
            return took
        }
        // Every instance is asked for a payout run at the same moment: concurrent runs must not pay twice.
        let payouts = Task {
            while running.isOn {
                try await Task.sleep(for: .seconds(2))
                try await payoutRun(api, adminKey: adminKey, runs: payoutRuns)
            }
        }
        let outcomes = await withTaskGroup(of: [FlowOutcome].self) { group in
            for _ in 0..<clients {
                group.addTask {
                    var mine: [FlowOutcome] = []
                    while case let index = next.take(), index < flows {
                        mine.append(await flowsRun.run(index))
                        _ = finished.take()
                    }
                    return mine
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        let flowTime = clock.now - began
        try await killer.value
        let outages = try await restarter.value
        running.turnOff()
        _ = try? await payouts.value
        await flowsRun.settle()

        // What the killed servers left leased is due again once its lease ends (outbox 2 min, payouts
        // 5 min); the campaign ends the leases instead of waiting, as that much time passing would.
        try await quiesce(database, within: .seconds(30))
        try await database.transaction { sql in
            try await sql.raw("UPDATE outbox_messages SET lease_until = 0 WHERE status = 'sending'").run()
            try await sql.raw("UPDATE payouts SET lease_until = 0 WHERE status = 'sending'").run()
        }
        // The hold release runs at each start and once a minute: the last sales are available once
        // every instance has run it again since the last start.
        let sinceStart = ContinuousClock.now - (await fleet.lastStart)
        if sinceStart < .seconds(65) { try await Task.sleep(for: .seconds(65) - sinceStart) }
        try await payoutRun(api, adminKey: adminKey, runs: payoutRuns)
        try await quiesce(database, within: .seconds(90))
        await fleet.stopAll()

        var paid: [(order: String, email: String, quantity: Int)] = []
        var soldOut = 0, admitted = 0, refunded = 0
        var problems: [String] = []
        for outcome in outcomes {
            switch outcome {
            case let .paid(order, email, quantity, scanned, wasRefunded):
                paid.append((order, email, quantity))
                admitted += scanned ? 1 : 0
                refunded += wasRefunded ? 1 : 0
            case .soldOut: soldOut += 1
            case let .failed(why): problems.append(why)
            }
        }
        let restarts = await fleet.restartTimes
        let killCount = await fleet.kills
        print("flows: \(outcomes.count) in \(flowTime.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1)))); \(paid.count) paid, \(soldOut) found it sold out, \(problems.count) failed")
        print("  first tickets admitted at the door: \(admitted); refunded: \(refunded); payout runs: \(payoutRuns.taken)")
        print("  webhook deliveries: \(flowsRun.deliveries.taken), of which \(flowsRun.duplicates.taken) late duplicates")
        print("  servers killed: \(killCount), started: \(restarts.count), start to healthy: \(percentiles(restarts)); requests sent again: \(api.retried)")
        if databaseRestarts > 0 {
            print("  database restarts: \(outages.count) (\(percentiles(outages)))")
        }
        let errors = api.serverErrors
        print("  5xx answers: " + (errors.isEmpty ? "none" : errors.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }.joined(separator: ", ")))
        for problem in problems.prefix(10) { print("  FAIL \(problem)") }
        let faults = errors.filter { $0.key != 503 }.values.reduce(0, +)
        if faults > 0 { problems.append("\(faults) answers with a 5xx other than 503") }

        var checks = CampaignChecks(database: database, setup: setup, stripe: stripe, resend: resend, interrupted: killCount > 0 || databaseRestarts > 0)
        try await checks.run(paid: paid, now: SystemClock().now())
        let secrets = setup.secrets + [("Stripe secret key", FakeStripe.secretKey), ("Stripe webhook secret", FakeStripe.webhookSecret),
                                       ("Resend API key", FakeResend.apiKey), ("ticket key secret", Self.ticketKeySecret)]
            + flowsRun.tokens.withLock { $0 }.map { ("order access token", $0) }
        checks.searchLogs(await fleet.logs, secrets: secrets)
        var failures = checks.failures.count + problems.count
        if killCount < kills { print("  FAIL \(killCount) kills of \(kills)"); failures += 1 }
        return failures
    }

    /// A payout run asked of every instance at once.
    private func payoutRun(_ api: CampaignAPI, adminKey: String, runs: Counter) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for instance in api.bases.indices {
                group.addTask {
                    _ = try await api.send(.POST, "/api/v1/admin/payouts", json: [:], bearer: adminKey, at: instance)
                    _ = runs.take()
                }
            }
            try await group.waitForAll()
        }
    }

    /// Waits until no webhook waits to be applied and no email to be sent, or `within` has passed.
    private func quiesce(_ database: any Database, within: Duration) async throws {
        struct Count: Decodable { let n: Int64 }
        let deadline = ContinuousClock.now + within
        while ContinuousClock.now < deadline {
            let waiting = try await database.read { sql in
                try await sql.raw("""
                    SELECT (SELECT COUNT(*) FROM webhook_inbox WHERE status = 'pending')
                         + (SELECT COUNT(*) FROM outbox_messages WHERE status IN ('queued', 'sending')) AS n
                    """).first(decoding: Count.self)?.n ?? 0
            }
            if waiting == 0 { return }
            try await Task.sleep(for: .milliseconds(250))
        }
    }
}

/// A flag the campaign's background tasks read.
final class Switch: Sendable {
    private let value: Mutex<Bool>
    init(_ on: Bool) { value = Mutex(on) }
    var isOn: Bool { value.withLock { $0 } }
    func turnOff() { value.withLock { $0 = false } }
}
