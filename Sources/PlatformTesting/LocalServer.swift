import Hummingbird
import Logging
import Synchronization

/// Serves `router` on a free loopback port until `body` returns; the fakes of provider APIs run on it.
package func servingLocally<T: Sendable>(_ router: Router<BasicRequestContext>, name: String,
                                         _ body: @escaping @Sendable (String) async throws -> T) async throws -> T {
    let port = Mutex<Int?>(nil)
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                          onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } },
                          // Silent: cancelling the server at the end logs "already closed" errors that mean nothing here.
                          logger: Logger(label: name, factory: { _ in SwiftLogNoOpLogHandler() }))
    let server = Task { try await app.runService(gracefulShutdownSignals: []) }
    defer { server.cancel() }
    for _ in 0..<200 where port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
    guard let bound = port.withLock({ $0 }) else { throw TestDatabaseError(description: "\(name) did not start") }
    return try await body("http://127.0.0.1:\(bound)")
}
