import Foundation
import Hummingbird
import Platform
import PlatformServer
import PlatformTesting
import ServiceLifecycle
import Synchronization
import Testing

/// The platform as `platform serve` assembles it, on the demo data, at a loopback address it knows
/// before it starts (its links carry it), for a browser driven by a script in `Python/`.
struct ServedPlatform: Sendable {
    let base: String
    let platform: Platform
    let demo: DemoSeed.Result
    let scratch: URL
    let server: ServerSwitch

    /// Where the screenshots of `test` go: `.build/browser-screenshots/`, never committed.
    static func screenshots(_ test: String, engine: DatabaseEngine) -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/browser-screenshots/\(test)-\(engine)").path
    }

    /// Serves the platform until `body` returns. The workers (webhooks, expiry, mail) start only
    /// when `workersStart` returns, so a page can be seen before a payment is applied.
    static func serve(_ engine: DatabaseEngine, workersStart: @escaping @Sendable () async throws -> Void = {},
                      _ body: @escaping @Sendable (ServedPlatform) async throws -> Void) async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("browser-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let port = try freeLoopbackPort()
        let environment = AssemblyTests.base.merging([
            "HOST": "127.0.0.1", "PORT": "\(port)", "BASE_URL": "http://127.0.0.1:\(port)",
            "MAIL_OUTBOX_DIR": scratch.appendingPathComponent("outbox").path, "PASSWORD_HASH_COST": "4",
            // Rolling payouts without a hold, so that the admin's payout run has something to pay.
            "PAYOUT_HOLD_FROM": "payment", "PAYOUT_HOLD_DAYS": "0",
        ]) { $1 }
        let assembly = try Assembly(environment: environment, logger: quietLogger)
        try await withTestDatabase(engine) { database in
            let platform = try await assembly.platform(database: database, hosts: EveryNamePublic())
            let demo = try await DemoSeed(catalog: platform.catalog).run()
            let server = ServerSwitch(platform: platform)
            try await server.start()
            let workers = Task {
                try await workersStart()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in platform.workers { group.addTask { try await worker.run() } }
                    try await group.waitForAll()
                }
            }
            defer { workers.cancel() }
            do {
                try await body(ServedPlatform(base: "http://127.0.0.1:\(port)", platform: platform, demo: demo, scratch: scratch, server: server))
            } catch {
                await server.stop()
                throw error
            }
            await server.stop()
        }
    }

    /// Runs `Python/<script>` with one JSON argument; fails the test with its output unless it exits 0.
    /// - Returns: its output, or nil where no Python is configured (a developer's machine).
    @discardableResult
    func run(_ script: String, _ arguments: [String: String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> String? {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python")
        let json = String(decoding: try JSONSerialization.data(withJSONObject: arguments, options: [.sortedKeys]), as: UTF8.self)
        guard let (status, output) = try await TestPython.run([directory.appendingPathComponent(script).path, json], in: scratch,
                                                              sourceLocation: sourceLocation) else { return nil }
        let text = String(decoding: output, as: UTF8.self)
        #expect(status == 0, "\(script) failed:\n\(text.suffix(6_000))", sourceLocation: sourceLocation)
        return text
    }
}

/// The HTTP server of a served platform, which a test stops (the network is gone, for the door's
/// offline mode) and starts again on the same port; the workers keep running meanwhile.
actor ServerSwitch {
    let platform: Platform
    private var running: Task<Void, any Error>?

    init(platform: Platform) { self.platform = platform }

    func start() async throws {
        guard running == nil else { return }
        let listening = Mutex<Bool>(false)
        let app = buildApplication(platform, runWorkers: false) { _ in listening.withLock { $0 = true } }
        let failure = Mutex<String?>(nil)
        running = Task {
            do { try await app.runService(gracefulShutdownSignals: []) } catch {
                failure.withLock { $0 = "\(error)" }
                throw error
            }
        }
        for _ in 0..<500 where !listening.withLock({ $0 }) {
            try await Task.sleep(for: .milliseconds(10))
            if let error = failure.withLock({ $0 }) {
                running = nil
                throw TestDatabaseError(description: "the server did not start: \(error)")
            }
        }
        guard listening.withLock({ $0 }) else { throw TestDatabaseError(description: "the server did not start within 5 s") }
    }

    func stop() async {
        guard let running else { return }
        running.cancel()
        _ = await running.result
        self.running = nil
    }

    /// Stops the server when `cut` appears and starts it again when `restore` appears, answering
    /// each with a `.done` file beside it (the browser script waits for those).
    func follow(cut: String, restore: String) async throws {
        try await fileAppears(cut)
        await stop()
        _ = FileManager.default.createFile(atPath: cut + ".done", contents: nil)
        try await fileAppears(restore)
        try await start()
        _ = FileManager.default.createFile(atPath: restore + ".done", contents: nil)
    }
}

/// Returns once `path` exists (a browser script's signal), or after `seconds`.
func fileAppears(_ path: String, within seconds: Int = 120) async throws {
    for _ in 0..<(seconds * 20) where !FileManager.default.fileExists(atPath: path) { try await Task.sleep(for: .milliseconds(50)) }
}
