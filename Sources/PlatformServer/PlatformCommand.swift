import ArgumentParser
import Foundation
import Logging
import Platform
import Ticketing

/// The `platform` command: the server and the operator's commands.
package struct PlatformCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "platform",
        abstract: "The ticketing marketplace: API server and operator commands.",
        subcommands: [Serve.self, Migrate.self, Demo.self, Admin.self, Keys.self, Checkin.self, LedgerCommand.self, PayoutsCommand.self,
                      Backup.self, Restore.self],
        defaultSubcommand: Serve.self)

    package init() {}
}

/// The assembly from the environment, JSON logging and an open, migrated database: what every
/// command starts from.
struct Runtime {
    let assembly: Assembly
    let database: any Database
    var config: PlatformConfig { assembly.config }
    var logger: Logger { assembly.logger }

    /// Starts, runs `body`, and closes the database whether `body` returns or throws.
    /// Logs go to standard error, unless `logs` says otherwise (the server's go to standard
    /// output): a command's standard output is its result, such as `keys export`'s trust file.
    static func run<T>(host: String? = nil, port: Int? = nil, logs: FileHandle = .standardError,
                       _ body: (Runtime) async throws -> T) async throws -> T {
        let runtime = try await start(host: host, port: port, logs: logs)
        do {
            let result = try await body(runtime)
            await runtime.database.close()
            return result
        } catch {
            await runtime.database.close()
            throw error
        }
    }

    static func start(host: String?, port: Int?, logs: FileHandle) async throws -> Runtime {
        let environment = ProcessInfo.processInfo.environment
        // The level is needed before the first logger exists, so the assembly reads it again.
        let level = try PlatformConfig.fromEnvironment(environment).logLevel
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level, stream: logs) }
        let assembly = try Assembly(environment: environment, logger: Logger(label: "platform"), host: host, port: port)
        let database = try await DatabaseFactory.openMigrated(url: assembly.config.databaseURL, environment: environment, logger: assembly.logger)
        return Runtime(assembly: assembly, database: database)
    }

    /// The platform as `serve` runs it.
    func platform() async throws -> Platform { try await assembly.platform(database: database) }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Migrate the database and serve the API (the default command).")

    @Option(help: "Address to listen on (default: HOST or 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (default: PORT or 8080).") var port: Int?

    func run() async throws {
        try await Runtime.run(host: host, port: port, logs: .standardOutput) { runtime in
            let base = runtime.config.baseURL
            let app = buildApplication(try await runtime.platform()) { port in
                // Written unbuffered: print() would hold it back when standard output is not a terminal.
                FileHandle.standardOutput.write(Data("""
                    platform is serving on http://\(runtime.config.host):\(port) (\(runtime.database.engine))
                      health:     \(base)/health
                      API doc:    \(base)/api/v1/openapi.json
                      metrics:    \(base)/metrics
                      my tickets: \(base)/my-tickets
                      credit:     \(base)/credit

                    """.utf8))
            }
            try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending migrations and exit.")

    func run() async throws {
        try await Runtime.run { runtime in print("database is up to date (\(runtime.database.engine))") }
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Seed the demo organizer \"Demo Events\" with a live event; print fresh demo keys and the URLs.")

    @Flag(help: "Also follow one Sandbox sale's money to a settled Sandbox payout, and print the balances on the way.")
    var payout = false

    func run() async throws {
        let (result, base, story, passwords) = try await Runtime.run { runtime in
            let platform = try await runtime.platform()
            return try await AuditScope.acting(as: .commandLine) {
                let result = try await DemoSeed(catalog: platform.catalog).run()
                let passwords = try await DemoMembers(members: platform.members, organizer: result.organizer.id).run()
                return (result, runtime.config.baseURL, payout ? try await DemoPayout(platform: platform, seed: result).run() : nil, passwords)
            }
        }
        if let story {
            print("\n" + story)
            print("""

                Statement:  curl -H 'Authorization: Bearer \(result.organizerKey.secret)' '\(base)/api/v1/ledger/entries?format=csv'
                Payouts:    curl -H 'Authorization: Bearer \(result.organizerKey.secret)' \(base)/api/v1/payouts
                """)
        }
        print("""

            Demo organizer: \(result.organizer.name) (\(result.organizer.id))
            Demo event:     \(result.event.title) (\(result.event.id)), \(result.variants.count) ticket variants
            Admin key:      \(result.adminKey.secret)
            Organizer key:  \(result.organizerKey.secret)
            (each run of `platform demo` replaces both keys)
            Back office:    \(base)/backoffice/sign-in
                            owner \(DemoMembers.owner) with password \(passwords.owner)
                            door staff \(DemoMembers.door) with password \(passwords.door)
                            (each run of `platform demo` replaces both passwords)

            Event page:     \(base)/e/\(result.event.id) (also \(base)/e/\(result.organizer.slug)/\(result.event.id)):
                            choose tickets, pay in the Sandbox, and the order's page shows them once paid
            Public event:   \(base)/api/v1/public/events/\(result.event.id)
            Buy by API:     curl -H 'Content-Type: application/json' -H "Idempotency-Key: $(date +%s%N)" \\
                              -d '{"lines":[{"variant_id":"\(result.variants.first?.id.rawValue ?? "")","quantity":2}],"email":"you@example.com","provider":"sandbox"}' \\
                              \(base)/api/v1/public/events/\(result.event.id)/orders
                            then open the checkout_url it answers with, and press Pay: it brings you to the order's page
            Your tickets:   once paid, GET \(base)/api/v1/public/orders/{order id}/tickets?token={access_token}
                            lists them, each with its QR code's URL; the confirmation email in
                            data/outbox/ links to the order's page
            My tickets:     \(base)/my-tickets signs a buyer in with a link by email (also in data/outbox/)
            Credit:         \(base)/credit sells \(result.creditPack.map { "\($0.name) (\(Money(minorUnits: $0.credit, currency: $0.price.currency)) for \($0.price))" } ?? "the credit packs on sale");
                            signed in to My tickets, the event page pays with it, or send "use_credit":"all" (or "provider":"credits")
                            with the buyer session as Bearer to the order API
            Door device:    curl -H 'Authorization: Bearer \(result.organizerKey.secret)' -H 'Content-Type: application/json' \\
                              -d '{"name":"Door 1"}' \(base)/api/v1/events/\(result.event.id)/checkin-devices
                            then POST {"token": "..."} to \(base)/api/v1/checkin/scan with the device key
            Your events:    curl -H 'Authorization: Bearer \(result.organizerKey.secret)' \(base)/api/v1/events
            Organizers:     curl -H 'Authorization: Bearer \(result.adminKey.secret)' \(base)/api/v1/organizers
            Health:         \(base)/health
            API document:   \(base)/api/v1/openapi.json
            Metrics:        \(base)/metrics

            """)
    }
}

struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Operator tasks.", subcommands: [CreateKey.self, CreateUser.self])

    struct CreateUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-user", abstract: "Make a platform admin who signs in to /admin; print a new password once, or read one.")

        @Option(help: "The admin's email address.") var email: String
        @Flag(help: "Read the password from the first line of standard input instead of making one.") var passwordStdin = false

        func run() async throws {
            let given = passwordStdin ? readLine(strippingNewline: true) : nil
            let password = given ?? SecretToken.make(marker: "")
            _ = try await Runtime.run { runtime in
                try await AuditScope.acting(as: .commandLine) {
                    try await runtime.platform().members.create(email: email, password: password, role: .admin, organizer: nil)
                }
            }
            print(given == nil ? "admin \(email) made; password: \(password)" : "admin \(email) made")
        }
    }

    struct CreateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create-key", abstract: "Issue an admin API key and print it once.")

        @Option(help: "A label to recognise the key by.") var label = "admin"

        func run() async throws {
            let key = try await Runtime.run { runtime in
                try await runtime.database.transaction { sql in
                    try await APIKeys.issue(scope: .admin, label: label, on: sql, at: SystemClock().now())
                }
            }
            print(key.secret)
        }
    }
}
