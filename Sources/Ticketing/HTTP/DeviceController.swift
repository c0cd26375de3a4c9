import Hummingbird
import Platform

/// Check-in device keys of an event: create (the secret is shown once), list, revoke.
struct DeviceController {
    let devices: Devices
    let maxBodyBytes: Int

    func register(_ routes: RouteRegistrar<OrganizerContext>) {
        routes.on(.post, "events/{id}/checkin-devices", use: create)
        routes.on(.get, "events/{id}/checkin-devices", use: list)
        routes.on(.delete, "events/{id}/checkin-devices/{device}", use: revoke)
    }

    @Sendable func create(_ request: Request, context: OrganizerContext) async throws -> Response {
        let event = try context.pathID(EventID.self)
        let fields = try await RequestFields.read(request, limit: maxBodyBytes)
        let name = fields.required(fields.string("name"), "name", placeholder: "", where: { TextRules.isPresent($0, max: 100) },
                                   "must be 1 to 100 characters")
        try fields.finish()
        let key = try await devices.create(event: event, organizer: context.organizer, name: name)
        return try JSONCoding.response(DeviceBody(id: key.id.rawValue, eventId: event.rawValue, name: name, prefix: key.prefix, key: key.secret),
                                       status: .created)
    }

    @Sendable func list(_ request: Request, context: OrganizerContext) async throws -> Response {
        let event = try context.pathID(EventID.self)
        let keys = try await devices.list(event: event, organizer: context.organizer)
        return try JSONCoding.response(ListBody(data: keys.map {
            DeviceBody(id: $0.id.rawValue, eventId: event.rawValue, name: $0.label, prefix: $0.prefix, key: nil)
        }, nextCursor: nil))
    }

    @Sendable func revoke(_ request: Request, context: OrganizerContext) async throws -> Response {
        let event = try context.pathID(EventID.self)
        try await devices.revoke(try context.pathID(APIKeyID.self, "device"), event: event, organizer: context.organizer)
        return Response(status: .noContent)
    }
}
