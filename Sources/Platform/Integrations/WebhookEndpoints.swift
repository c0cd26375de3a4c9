import PluginKit
import SQLKit

/// What an organizer sends to register or edit an endpoint; nil fields stay as they are.
package struct WebhookEndpointInput: Sendable {
    package var url: String?
    package var events: [WebhookEventType]?
    package var description: String??
    package var status: WebhookEndpointStatus?

    package init(url: String? = nil, events: [WebhookEventType]? = nil, description: String?? = nil, status: WebhookEndpointStatus? = nil) {
        self.url = url
        self.events = events
        self.description = description
        self.status = status
    }
}

/// An organizer's webhook endpoints and their deliveries: register, edit, enable or disable,
/// delete, rotate the secret, list deliveries with their attempts, and re-send one. Every change is
/// audited in its transaction. Another organizer's endpoint is not found.
package struct WebhookEndpoints: Sendable {
    let database: any Database
    let clock: any WallClock
    let policy: WebhookAddressPolicy
    /// Wakes the sender when a delivery is queued for re-sending.
    let signal: WakeSignal

    /// Creates an enabled endpoint; the secret is returned here and never again.
    /// - Throws: `ValidationFailure` on `url` (shape or address refused), `events`, `description`.
    package func create(_ input: WebhookEndpointInput, organizer: OrganizerID) async throws -> (WebhookEndpoint, secret: String) {
        var check = Validator()
        check.check(input.url != nil, "url", "is required")
        check.check(input.events.map { !$0.isEmpty } ?? false, "events", "must name at least one event type")
        try validate(description: input.description ?? nil, into: &check)
        try check.throwIfFailed()
        try await validate(url: input.url ?? "")
        let now = clock.now(), secret = WebhookEndpoint.makeSecret()
        let endpoint = WebhookEndpoint(id: .generate(at: now), organizerID: organizer, url: input.url ?? "", description: input.description ?? nil,
                                       events: Self.unique(input.events ?? []), status: .enabled, disabledReason: nil, failingSince: nil,
                                       createdAt: now, updatedAt: now)
        try await database.transaction { sql in
            try await WebhookEndpointRepository(sql).insert(endpoint, secret: secret)
            try await AuditTrail.record("webhook_endpoint.created", organizer: organizer, subject: endpoint.id.rawValue,
                                        changes: .between(nil as AuditedWebhookEndpoint?, AuditedWebhookEndpoint(endpoint)), at: now, on: sql)
        }
        return (endpoint, secret)
    }

    /// - Throws: `PlatformError.notFound`, `ValidationFailure` as for `create`.
    package func update(_ id: WebhookEndpointID, organizer: OrganizerID, with input: WebhookEndpointInput) async throws -> WebhookEndpoint {
        var check = Validator()
        if let events = input.events { check.check(!events.isEmpty, "events", "must name at least one event type") }
        try validate(description: input.description ?? nil, into: &check)
        try check.throwIfFailed()
        if let url = input.url { try await validate(url: url) }
        let now = clock.now()
        return try await database.transaction { sql in
            let endpoints = WebhookEndpointRepository(sql)
            guard let before = try await endpoints.find(id, organizer: organizer) else { throw PlatformError.notFound("webhook endpoint") }
            var endpoint = before
            endpoint.url = input.url ?? endpoint.url
            endpoint.events = input.events.map(Self.unique) ?? endpoint.events
            if let description = input.description { endpoint.description = description }
            if let status = input.status, status != endpoint.status {
                endpoint.status = status
                endpoint.disabledReason = status == .disabled ? "disabled by the organizer" : nil
                endpoint.failingSince = nil
            }
            endpoint.updatedAt = now
            try await endpoints.update(endpoint)
            if endpoint.status == .disabled, before.status == .enabled {
                try await WebhookDeliveryRepository(sql).failWaiting(endpoint: id, reason: "endpoint disabled by the organizer")
            }
            try await AuditTrail.record("webhook_endpoint.updated", organizer: organizer, subject: id.rawValue,
                                        changes: .between(AuditedWebhookEndpoint(before), AuditedWebhookEndpoint(endpoint)), at: now, on: sql)
            return endpoint
        }
    }

    /// Deletes the endpoint with its deliveries.
    /// - Throws: `PlatformError.notFound`.
    package func delete(_ id: WebhookEndpointID, organizer: OrganizerID) async throws {
        let now = clock.now()
        try await database.transaction { sql in
            let endpoints = WebhookEndpointRepository(sql)
            guard let endpoint = try await endpoints.find(id, organizer: organizer) else { throw PlatformError.notFound("webhook endpoint") }
            try await endpoints.delete(id, organizer: organizer)
            try await AuditTrail.record("webhook_endpoint.deleted", organizer: organizer, subject: id.rawValue,
                                        changes: .between(AuditedWebhookEndpoint(endpoint), nil as AuditedWebhookEndpoint?), at: now, on: sql)
        }
    }

    /// A new secret, returned once; the previous one also signs for 24 hours so receivers can switch.
    /// - Throws: `PlatformError.notFound`.
    package func rotateSecret(_ id: WebhookEndpointID, organizer: OrganizerID) async throws -> (WebhookEndpoint, secret: String) {
        let now = clock.now(), secret = WebhookEndpoint.makeSecret()
        let overlapUntil = Timestamp(milliseconds: now.milliseconds + WebhookEndpoint.rotationOverlapMilliseconds)
        let endpoint = try await database.transaction { sql in
            let endpoints = WebhookEndpointRepository(sql)
            guard let endpoint = try await endpoints.find(id, organizer: organizer) else { throw PlatformError.notFound("webhook endpoint") }
            try await endpoints.rotate(id, organizer: organizer, to: secret, overlapUntil: overlapUntil, at: now)
            try await AuditTrail.record("webhook_endpoint.secret_rotated", organizer: organizer, subject: id.rawValue,
                                        changes: .fields(["previous_secret_expires_at": (nil, overlapUntil.rfc3339)]), at: now, on: sql)
            return endpoint
        }
        return (endpoint, secret)
    }

    package func endpoint(_ id: WebhookEndpointID, organizer: OrganizerID) async throws -> WebhookEndpoint {
        guard let endpoint = try await database.read({ sql in try await WebhookEndpointRepository(sql).find(id, organizer: organizer) }) else {
            throw PlatformError.notFound("webhook endpoint")
        }
        return endpoint
    }

    package func endpoints(organizer: OrganizerID, after: WebhookEndpointID?, limit: Int) async throws -> [WebhookEndpoint] {
        try await database.read { sql in try await WebhookEndpointRepository(sql).list(organizer: organizer, after: after, limit: limit) }
    }

    /// The organizer's deliveries, newest first; of one endpoint when given (which must be the organizer's).
    package func deliveries(organizer: OrganizerID, endpoint: WebhookEndpointID?, statuses: [WebhookDeliveryStatus],
                            after: WebhookDeliveryID?, limit: Int) async throws -> [OutgoingDelivery] {
        try await database.read { sql in
            if let endpoint, try await WebhookEndpointRepository(sql).find(endpoint, organizer: organizer) == nil {
                throw PlatformError.notFound("webhook endpoint")
            }
            return try await WebhookDeliveryRepository(sql).list(organizer: organizer, endpoint: endpoint, statuses: statuses, after: after,
                                                                 limit: limit)
        }
    }

    /// A delivery with every attempt at it.
    package func delivery(_ id: WebhookDeliveryID, organizer: OrganizerID) async throws -> (OutgoingDelivery, [WebhookAttempt]) {
        try await database.read { sql in
            let deliveries = WebhookDeliveryRepository(sql)
            guard let delivery = try await deliveries.find(id, organizer: organizer) else { throw PlatformError.notFound("webhook delivery") }
            return (delivery, try await deliveries.attempts(of: id))
        }
    }

    /// Queues the delivery for another attempt now (same event id and body).
    /// - Throws: `PlatformError.notFound`; `.conflict` while it is being sent or its endpoint is disabled.
    package func resend(_ id: WebhookDeliveryID, organizer: OrganizerID) async throws -> OutgoingDelivery {
        let now = clock.now()
        let delivery = try await database.transaction { sql in
            let deliveries = WebhookDeliveryRepository(sql)
            guard let delivery = try await deliveries.find(id, organizer: organizer) else { throw PlatformError.notFound("webhook delivery") }
            guard try await WebhookEndpointRepository(sql).find(delivery.endpointID, organizer: organizer)?.status == .enabled else {
                throw PlatformError.conflict("the endpoint is disabled: enable it first")
            }
            guard try await deliveries.resend(id, organizer: organizer, at: now) else { throw PlatformError.conflict("the delivery is being sent") }
            try await AuditTrail.record("webhook_delivery.resent", organizer: organizer, subject: id.rawValue,
                                        changes: .fields(["status": (delivery.status.rawValue, "pending")]), at: now, on: sql)
            guard let queued = try await deliveries.find(id, organizer: organizer) else { throw PlatformError.notFound("webhook delivery") }
            return queued
        }
        signal.wake()
        return delivery
    }

    private func validate(url: String) async throws {
        do {
            try await policy.check(url)
        } catch let refused as WebhookURLRefused {
            throw ValidationFailure(field: "url", refused.description)
        }
    }

    private func validate(description: String?, into check: inout Validator) throws {
        if let description { check.check(description.unicodeScalars.count <= 500, "description", "must be at most 500 characters") }
    }

    private static func unique(_ events: [WebhookEventType]) -> [WebhookEventType] {
        WebhookEventType.allCases.filter(events.contains)
    }
}
