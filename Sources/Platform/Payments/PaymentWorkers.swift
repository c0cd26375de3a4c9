import Logging
import PluginKit
import ServiceLifecycle

/// Runs the inbox and expiry workers beside the server until shutdown: woken at once when a
/// webhook arrives, and at least once a second for retries and expired reservations.
public struct PaymentWorkers: Service {
    let services: PlatformServices
    public var pollInterval: Duration = .seconds(1)

    public init(services: PlatformServices) { self.services = services }

    public func run() async throws {
        let inbox = services.inboxWorker
        let expiry = services.expiryWorker
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await inbox.drain()
                do {
                    try await expiry.run()
                } catch {
                    services.logger.error("expiry worker failed", metadata: ["error": "\(String(describing: error).prefix(300))"])
                }
                await services.inboxSignal.wait(timeout: pollInterval)
            }
        }
    }
}
