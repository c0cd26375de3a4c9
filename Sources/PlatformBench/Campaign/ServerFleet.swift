import AsyncHTTPClient
import Foundation
import Platform
import PlatformTesting
#if canImport(Glibc)
import Glibc
#endif

/// `platform serve` processes of a campaign, each on its own loopback port with its own log
/// file, killed with SIGKILL and started again on the same port.
actor ServerFleet {
    struct Instance {
        let port: Int
        let log: String
        var child: ChildProcess?
    }

    let executable: String
    let environment: [String: String]
    let client: HTTPClient
    private var instances: [Instance]
    private(set) var kills = 0
    private(set) var starts = 0
    private(set) var restartTimes: [Duration] = []
    /// When the last instance answered after a start.
    private(set) var lastStart = ContinuousClock.now

    /// - Throws: when no free port is found.
    init(executable: String, environment: [String: String], count: Int, directory: URL, client: HTTPClient) throws {
        self.executable = executable
        self.environment = environment
        self.client = client
        let ports = try (0..<count).map { _ in try freeLoopbackPort() }
        self.ports = ports
        instances = ports.enumerated().map { index, port in
            Instance(port: port, log: directory.appendingPathComponent("server-\(index).log").path)
        }
    }

    let ports: [Int]
    /// Each instance's base URL, in a fixed order (the load generator's round robin).
    nonisolated var bases: [String] { ports.map { "http://127.0.0.1:\($0)" } }
    var logs: [String] { instances.map(\.log) }

    func startAll() async throws {
        for index in instances.indices { try await start(index) }
    }

    /// Starts instance `index` and returns once it answers `/health`.
    /// - Throws: when it does not answer within 60 s.
    func start(_ index: Int) async throws {
        let began = ContinuousClock.now
        let instance = instances[index]
        let fd = open(instance.log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard fd >= 0 else { throw CampaignFailure("cannot open \(instance.log)") }
        defer { close(fd) }
        var environment = self.environment
        environment["PORT"] = String(instance.port)
        environment["BASE_URL"] = "http://127.0.0.1:\(instance.port)"
        let child = try ChildProcess.spawn(executable, ["serve"], environment: environment, stdout: fd, stderr: fd)
        instances[index].child = child
        starts += 1
        for _ in 0..<600 {
            if let ended = child.ended() {
                instances[index].child = nil
                throw CampaignFailure("server \(index) ended (\(ended)) before it answered; see \(instance.log)")
            }
            if await healthy(instance.port) {
                lastStart = ContinuousClock.now
                restartTimes.append(lastStart - began)
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CampaignFailure("server \(index) did not answer /health within 60 s; see \(instance.log)")
    }

    /// SIGKILL, then start again at once.
    func killAndRestart(_ index: Int) async throws {
        guard let child = instances[index].child else { return }
        child.signal(SIGKILL)
        _ = child.wait()
        instances[index].child = nil
        kills += 1
        try await start(index)
    }

    /// SIGTERM to every instance, waiting for each to end.
    func stopAll() {
        for index in instances.indices {
            guard let child = instances[index].child else { continue }
            child.signal(SIGTERM)
            _ = child.wait()
            instances[index].child = nil
        }
    }

    private func healthy(_ port: Int) async -> Bool {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/health")
        request.method = .GET
        guard let response = try? await client.execute(request, timeout: .seconds(2)) else { return false }
        _ = try? await response.body.collect(upTo: 1 << 16)
        return response.status == .ok
    }
}
