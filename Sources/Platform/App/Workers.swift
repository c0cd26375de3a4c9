import Logging
import PluginKit
import ServiceLifecycle

/// Runs the inbox and expiry workers beside the server until shutdown: woken at once when a
/// webhook arrives, and at least once a second for retries and expired reservations.
///
/// Each worker describes itself by its name only: ServiceLifecycle logs its services at start-up,
/// and a worker's default description would print every provider's configuration.
package struct PaymentWorkers: Service, CustomStringConvertible {
    let inbox: InboxWorker
    let expiry: ExpiryWorker
    let signal: WakeSignal
    let logger: Logger
    let pollInterval: Duration = .seconds(1)
    package var description: String { "payment workers (inbox, expiry)" }

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
package struct PeriodicWorker: Service, CustomStringConvertible {
    /// What the job is called in the log ("housekeeping").
    package let name: String
    let job: @Sendable () async throws -> Void
    let logger: Logger
    let interval: Duration = .seconds(60)
    package var description: String { "\(name) worker" }

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

/// Runs a queue's sender (`mail`, `webhooks`) beside the server until shutdown: at least once a
/// second, and at once when its signal wakes it (an admin replays a message, an organizer re-sends
/// a delivery).
package struct QueueWorker: Service, CustomStringConvertible {
    /// What the queue is called ("mail").
    package let name: String
    let sender: any BatchSender
    let signal: WakeSignal
    let pollInterval: Duration = .seconds(1)
    package var description: String { "\(name) queue" }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await sender.drain()
                await signal.wait(timeout: pollInterval)
            }
        }
    }
}
