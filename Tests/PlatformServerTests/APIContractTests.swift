import Foundation
import Hummingbird
import Platform
import PlatformServer
import PlatformTesting
import Synchronization
import Testing

/// schemathesis (from the test virtualenv) against the API document the assembled platform serves,
/// with every check and a bounded number of examples (10 per operation and phase, seed 1), as an
/// organizer and as an admin: what the document says is what the server does. The exceptions, rules a schema cannot state, are in Python/schemathesis.toml.
@Suite struct APIContractTests {
    static let config = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/schemathesis.toml").path

    @Test(arguments: TestEngines.all)
    func theServedDocumentIsWhatTheServerDoes(engine: DatabaseEngine) async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("contract-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let environment = AssemblyTests.base.merging([
            "HOST": "127.0.0.1", "PORT": "0", "MAIL_OUTBOX_DIR": scratch.appendingPathComponent("outbox").path,
            "CHECKOUT_RATE_LIMIT": "1000000", "SIGN_IN_RATE_LIMIT": "1000000", "CHECKIN_RATE_LIMIT": "1000000",
        ]) { $1 }
        let assembly = try Assembly(environment: environment, logger: quietLogger)
        try await withTestDatabase(engine) { database in
            let platform = try await assembly.platform(database: database, hosts: EveryNamePublic())
            let demo = try await DemoSeed(catalog: platform.catalog).run()
            let port = Mutex<Int?>(nil)
            let app = buildApplication(platform, runWorkers: false) { bound in port.withLock { $0 = bound } }
            let server = Task { try await app.runService(gracefulShutdownSignals: []) }
            defer { server.cancel() }
            for _ in 0..<200 where port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
            let bound = try #require(port.withLock { $0 })
            let run = "import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis(sys.argv[1:]))"
            // Once as the organizer, once as an admin: each key's routes answer, the other's are 403.
            for (who, key) in [("organizer", demo.organizerKey.secret), ("admin", demo.adminKey.secret)] {
                guard let (status, output) = try await TestPython.run([
                    "-c", run, "--config-file", Self.config, "run", "http://127.0.0.1:\(bound)/api/v1/openapi.json",
                    "-H", "Authorization: Bearer \(key)", "--checks", "all", "--max-examples", "10",
                    "--phases", "examples,fuzzing", "--seed", "1", "--no-color",
                ], in: scratch) else { return }
                let text = String(decoding: output, as: UTF8.self)
                #expect(status == 0, "schemathesis as \(who) found mismatches:\n\(text.suffix(8_000))")
            }
        }
    }
}
