import PluginKit
import Platform

/// Check-in device keys: each may scan, block and read the bundle and statistics of one event only.
struct Devices: Sendable {
    let database: any Database
    let clock: any WallClock
    /// Told of a revoked key, so that it stops working in this process at once.
    let apiKeys: APIKeyCache

    init(database: any Database, clock: any WallClock, apiKeys: APIKeyCache) {
        self.database = database
        self.clock = clock
        self.apiKeys = apiKeys
    }

    /// A new device key for an event of this organizer; its secret is shown once.
    /// - Throws: `PlatformError.notFound("event")` when the event is not this organizer's.
    func create(event: EventID, organizer: OrganizerID, name: String) async throws -> IssuedAPIKey {
        let now = clock.now()
        return try await database.transaction { sql in
            guard try await EventRepository(sql).find(event, organizer: organizer) != nil else { throw PlatformError.notFound("event") }
            let key = try await APIKeys.issue(scope: .device(organizer, event), label: name, on: sql, at: now)
            try await AuditTrail.record("device.created", organizer: organizer, subject: key.id.rawValue, event: event,
                                        changes: .fields(["name": (nil, name), "scope": (nil, key.scope.rawValue)]), at: now, on: sql)
            return key
        }
    }

    /// The event's active device keys.
    /// - Throws: `PlatformError.notFound("event")` when the event is not this organizer's.
    func list(event: EventID, organizer: OrganizerID) async throws -> [StoredAPIKey] {
        try await database.read { sql in
            guard try await EventRepository(sql).find(event, organizer: organizer) != nil else { throw PlatformError.notFound("event") }
            return try await APIKeyRepository(sql).list(scope: .device(organizer, event))
        }
    }

    /// - Throws: `PlatformError.notFound("check-in device")` when there is no such active device of the event.
    func revoke(_ device: APIKeyID, event: EventID, organizer: OrganizerID) async throws {
        let now = clock.now()
        let revoked = try await database.transaction { sql in
            guard try await APIKeyRepository(sql).revoke(device, scope: .device(organizer, event), at: now) else { return false }
            try await AuditTrail.record("device.revoked", organizer: organizer, subject: device.rawValue, event: event,
                                        changes: .fields(["revoked_at": (nil, now.rfc3339)]), at: now, on: sql)
            return true
        }
        guard revoked else { throw PlatformError.notFound("check-in device") }
        apiKeys.forget(device)
    }
}
