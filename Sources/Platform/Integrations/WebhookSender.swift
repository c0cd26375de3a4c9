import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import PluginKit

/// Sends outgoing webhooks: leases due deliveries in one short transaction, posts each outside
/// any transaction with a timeout and no redirects, then records the attempt. A 2xx delivers;
/// a 410 disables the endpoint; anything else (or no answer, or an address the policy refuses)
/// is retried with exponential backoff and jitter until 3 days after the event, and an endpoint
/// failing for 3 days is disabled. Each request is signed `Platform-Signature: t=…,v1=…` with
/// every secret in force (two during a rotation).
package struct WebhookSender: BatchSender {
    package let database: any Database
    package let clock: any WallClock
    package let policy: WebhookAddressPolicy
    package let mailFrom: String
    package var logger: Logger
    /// The answer's time limit; connecting has 5 seconds more, resolving the name 5.
    package var timeoutSeconds: Int64 = 10
    package var batchSize = 16
    /// How long a claimed batch is this sender's: every delivery of one endpoint may be sent in
    /// turn, each within its limits. A sender that dies leaves its rows to the next after that.
    var leaseSeconds: Int64 { Int64(batchSize) * (timeoutSeconds + 10) }

    package static let signatureHeader = "Platform-Signature"

    package init(database: any Database, clock: any WallClock, policy: WebhookAddressPolicy, mailFrom: String, logger: Logger) {
        self.database = database
        self.clock = clock
        self.policy = policy
        self.mailFrom = mailFrom
        self.logger = logger
    }

    /// A client for one request that connects to `address` (when the URL names a host) while
    /// asking for, and checking the certificate of, the URL's host: the address the policy
    /// checked is the one connected to, so a name cannot resolve elsewhere in between. It never
    /// follows a redirect.
    func client(pinning host: String, to address: String?) -> HTTPClient {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(timeoutSeconds))
        if let address {
            configuration.dnsOverride[host] = address
            configuration.dnsOverride[host.lowercased()] = address
        }
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    package func sendBatch() async -> Int {
        let now = clock.now()
        let batch: [OutgoingDelivery]
        do {
            batch = try await database.transaction { [leaseSeconds, batchSize] sql in
                try await WebhookDeliveryRepository(sql).claimDue(now: now, leaseUntil: now.adding(seconds: leaseSeconds), limit: batchSize)
            }
        } catch {
            if !(error is CancellationError) { logger.error("webhook claim failed", metadata: ["error": "\(String(describing: error).prefix(300))"]) }
            return 0
        }
        // One endpoint's deliveries in order of occurrence; different endpoints at once.
        await withTaskGroup(of: Void.self) { group in
            for (_, deliveries) in Dictionary(grouping: batch, by: \.endpointID) {
                group.addTask { for delivery in deliveries { await send(delivery) } }
            }
        }
        return batch.count
    }

    func send(_ delivery: OutgoingDelivery) async {
        let found: (WebhookEndpoint, WebhookSecrets)?
        do {
            found = try await database.read { sql in try await WebhookEndpointRepository(sql).withSecrets(delivery.endpointID) }
        } catch {
            return  // the lease runs out and another attempt follows
        }
        let started = clock.now()
        let attempt: WebhookAttempt
        if let (endpoint, secrets) = found, endpoint.status == .enabled {
            attempt = await post(delivery, to: endpoint, secrets: secrets, started: started)
        } else {
            attempt = WebhookAttempt(attempt: delivery.attempts, startedAt: started, durationMilliseconds: 0, statusCode: nil,
                                     error: "the endpoint is disabled", responseBody: nil)
        }
        await record(delivery, attempt, endpoint: found?.0)
    }

    private func post(_ delivery: OutgoingDelivery, to endpoint: WebhookEndpoint, secrets: WebhookSecrets, started: Timestamp) async -> WebhookAttempt {
        func finished(_ status: Int?, _ error: String?, _ body: String? = nil) -> WebhookAttempt {
            WebhookAttempt(attempt: delivery.attempts, startedAt: started, durationMilliseconds: clock.now().milliseconds - started.milliseconds,
                           statusCode: status, error: error, responseBody: body)
        }
        let pinned: String?
        do {
            pinned = try await withThrowingTaskGroup(of: String?.self) { group in
                group.addTask { try await policy.check(endpoint.url) }
                group.addTask {
                    try await Task.sleep(for: .seconds(5))
                    throw WebhookURLRefused("the name did not resolve within 5 seconds")
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
        } catch {
            return finished(nil, "refused: \(error)")
        }
        let body = Data(delivery.payload.utf8)
        let timestamp = clock.now().milliseconds / 1000
        let signature = "t=\(timestamp)," + secrets.signing(at: started)
            .map { "v1=" + TimestampedSignature.sign(body: body, secret: $0, timestamp: timestamp) }.joined(separator: ",")
        var request = HTTPClientRequest(url: endpoint.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "platform-webhooks/1")
        request.headers.add(name: Self.signatureHeader, value: signature)
        request.headers.add(name: "Platform-Event-Id", value: delivery.eventID.rawValue)
        request.headers.add(name: "Platform-Event-Type", value: delivery.type.rawValue)
        request.headers.add(name: "Platform-Delivery-Id", value: delivery.id.rawValue)
        request.body = .bytes(ByteBuffer(bytes: body))
        let http = client(pinning: URLComponents(string: endpoint.url)?.host ?? "", to: pinned)
        let attempt: WebhookAttempt
        do {
            let response = try await http.execute(request, timeout: .seconds(timeoutSeconds))
            let code = Int(response.status.code)
            // The status decides; of the body only the first 1 KB is kept, however long it is.
            var kept: [UInt8] = []
            do {
                for try await chunk in response.body {
                    kept += chunk.readableBytesView.prefix(1024 - kept.count)
                    if kept.count >= 1024 { break }
                }
            } catch {}
            attempt = finished(code, (200..<300).contains(code) ? nil : "answered \(code)", String(decoding: kept, as: UTF8.self))
        } catch {
            attempt = finished(nil, String(describing: error).prefix(300).description)
        }
        try? await http.shutdown()
        return attempt
    }

    private func record(_ delivery: OutgoingDelivery, _ attempt: WebhookAttempt, endpoint: WebhookEndpoint?) async {
        let now = clock.now()
        let delivered = attempt.statusCode.map { (200..<300).contains($0) } ?? false
        let gone = attempt.statusCode == 410
        let withinWindow = now.milliseconds - delivery.createdAt.milliseconds < OutgoingDelivery.retryWindowMilliseconds
        let retryAt = delivered || gone || !withinWindow || endpoint?.status != .enabled
            ? nil : now.adding(seconds: Backoff.seconds(attempt: delivery.attempts))
        let mailFrom = self.mailFrom
        do {
            try await AuditScope.acting(as: .worker("webhooks")) {
                try await database.transaction { sql in
                    try await WebhookDeliveryRepository(sql).record(delivery, attempt: attempt, delivered: delivered, retryAt: retryAt, at: now)
                    guard let endpoint, endpoint.status == .enabled else { return }
                    let endpoints = WebhookEndpointRepository(sql)
                    try await endpoints.recordAttempt(endpoint.id, succeeded: delivered, at: now)
                    let failingFor = now.milliseconds - (endpoint.failingSince ?? now).milliseconds
                    if gone || (!delivered && failingFor >= OutgoingDelivery.retryWindowMilliseconds) {
                        try await EndpointDisabling.disable(endpoint.id, organizer: endpoint.organizerID, url: endpoint.url,
                                                            reason: gone ? "it answered 410 Gone" : "it failed every delivery for 3 days",
                                                            mailFrom: mailFrom, at: now, on: sql)
                    }
                }
            }
        } catch {
            logger.error("cannot record webhook attempt", metadata: ["delivery": "\(delivery.id)", "error": "\(String(describing: error).prefix(300))"])
            return
        }
        if !delivered {
            logger.warning("webhook not delivered", metadata: [
                "delivery": "\(delivery.id)", "endpoint": "\(delivery.endpointID)", "attempt": "\(delivery.attempts)",
                "error": "\(attempt.error ?? "")",
            ])
        }
    }
}
