import Logging
import PluginKit
import ServiceLifecycle

/// Runs the outbox dispatcher beside the server until shutdown: at least once a second, and at
/// once when an admin replays a message.
public struct MailWorker: Service {
    let services: PlatformServices
    public var pollInterval: Duration = .seconds(1)

    public init(services: PlatformServices) { self.services = services }

    public func run() async throws {
        guard let dispatcher = services.outboxDispatcher else {
            services.logger.info("mail worker off", metadata: ["reason": "no mailer configured"])
            // A service that returns would stop the whole group: wait for shutdown instead.
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await dispatcher.drain()
                await services.outboxSignal.wait(timeout: pollInterval)
            }
        }
    }
}
