import Hummingbird
import Platform

/// Check-in device keys: each may scan, block and read the bundle and statistics of one event only.
struct DeviceController {
    let database: any Database
    let clock: any WallClock
    let maxBodyBytes: Int

    func register(_ routes: RouteRegistrar) {
        let apiKeys = routes.apiKeys
        routes.on(.post, "events/{id}/checkin-devices", use: create)
        routes.on(.get, "events/{id}/checkin-devices", use: list)
        routes.on(.delete, "events/{id}/checkin-devices/{device}") { request, context in
            try await revoke(request, context: context, forgetting: apiKeys)
        }
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let organizer = try context.requireOrganizer()
        let event = try context.pathID(EventID.self)
        let fields = try await RequestFields.read(request, limit: maxBodyBytes)
        let name = fields.required(fields.string("name"), "name", placeholder: "")
        if !name.isEmpty, !TextRules.isPresent(name, max: 100) { fields.fail("name", "must be 1 to 100 characters") }
        try fields.finish()
        let now = clock.now()
        let key = try await database.transaction { sql in
            guard try await EventRepository(sql).find(event, organizer: organizer) != nil else { throw PlatformError.notFound("event") }
            return try await APIKeys.issue(scope: .device(organizer, event), label: name, on: sql, at: now)
        }
        return try JSONCoding.response(DeviceBody(id: key.id.rawValue, eventId: event.rawValue, name: name, prefix: key.prefix, key: key.secret),
                                       status: .created)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let organizer = try context.requireOrganizer()
        let event = try context.pathID(EventID.self)
        let keys = try await database.read { sql in
            guard try await EventRepository(sql).find(event, organizer: organizer) != nil else { throw PlatformError.notFound("event") }
            return try await APIKeyRepository(sql).list(scope: .device(organizer, event))
        }
        return try JSONCoding.response(ListBody(data: keys.map {
            DeviceBody(id: $0.id.rawValue, eventId: event.rawValue, name: $0.label, prefix: $0.prefix, key: nil)
        }, nextCursor: nil))
    }

    func revoke(_ request: Request, context: AppRequestContext, forgetting apiKeys: APIKeyCache?) async throws -> Response {
        let organizer = try context.requireOrganizer()
        let event = try context.pathID(EventID.self)
        let device = try context.pathID(APIKeyID.self, "device")
        let now = clock.now()
        let revoked = try await database.transaction { sql in
            try await APIKeyRepository(sql).revoke(device, scope: .device(organizer, event), at: now)
        }
        guard revoked else { throw PlatformError.notFound("check-in device") }
        apiKeys?.forget(device)
        return Response(status: .noContent)
    }
}
