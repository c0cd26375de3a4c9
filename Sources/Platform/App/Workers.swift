import Logging
import PluginKit
import ServiceLifecycle

/// Runs the inbox and expiry workers beside the server until shutdown: woken at once when a
/// webhook arrives, and at least once a second for retries and expired reservations.
package struct PaymentWorkers: Service {
    let inbox: InboxWorker
    let expiry: ExpiryWorker
    let signal: WakeSignal
    let logger: Logger
    let pollInterval: Duration = .seconds(1)

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await inbox.drain()
                do {
                    try await expiry.run()
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("expiry worker failed", metadata: ["error": "\(String(describing: error).prefix(300))"])
                }
                await signal.wait(timeout: pollInterval)
            }
        }
    }
}

/// Runs housekeeping once a minute beside the server until shutdown.
package struct HousekeepingWorker: Service {
    let housekeeping: Housekeeping
    let logger: Logger
    let interval: Duration = .seconds(60)

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await housekeeping.run()
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("housekeeping failed", metadata: ["error": "\(String(describing: error).prefix(300))"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}

/// Releases organizers' held net for payouts once a minute beside the server until shutdown.
package struct HoldReleaseWorker: Service {
    let release: HoldRelease
    let logger: Logger
    let interval: Duration = .seconds(60)

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await release.run()
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("hold release failed", metadata: ["error": "\(String(describing: error).prefix(300))"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}

/// Runs the outbox dispatcher beside the server until shutdown: at least once a second, and at
/// once when an admin replays a message.
package struct MailWorker: Service {
    let dispatcher: OutboxDispatcher
    let signal: WakeSignal
    let pollInterval: Duration = .seconds(1)

    package init(dispatcher: OutboxDispatcher, signal: WakeSignal) {
        self.dispatcher = dispatcher
        self.signal = signal
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await dispatcher.drain()
                await signal.wait(timeout: pollInterval)
            }
        }
    }
}
