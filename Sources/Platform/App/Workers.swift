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
                    try await AuditScope.acting(as: .worker("expiry")) { try await expiry.run() }
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

/// Runs a job once a minute (housekeeping, the hold release) beside the server until shutdown; a
/// failed run is logged and the next one tried a minute later.
package struct PeriodicWorker: Service {
    /// What the job is called in the log ("housekeeping").
    package let name: String
    let job: @Sendable () async throws -> Void
    let logger: Logger
    let interval: Duration = .seconds(60)

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await AuditScope.acting(as: .worker(name)) { try await job() }
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("\(name) failed", metadata: ["error": "\(String(describing: error).prefix(300))"])
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

/// Runs the webhook sender beside the server until shutdown: at least once a second, and at once
/// when an organizer re-sends a delivery.
package struct WebhookWorker: Service {
    let sender: WebhookSender
    let signal: WakeSignal
    let pollInterval: Duration = .seconds(1)

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await sender.drain()
                await signal.wait(timeout: pollInterval)
            }
        }
    }
}
