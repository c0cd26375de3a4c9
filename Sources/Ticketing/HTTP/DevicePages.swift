import Foundation
import Hummingbird
import Platform
import PluginKit

/// An event's check-in devices in the back office: make one (its key shown once, and as a QR code
/// that pairs a phone's scanner page when its camera opens it), list them, revoke one.
struct DevicePages {
    let site: MemberSite
    let devices: Devices
    let catalog: Catalog
    let baseURL: String

    func register(_ web: WebRoutes) {
        web.on(.get, "backoffice/events/{id}/devices") { request, context in
            try await site.guarded { try await list(request, event: context.parameters.get("id") ?? "") }
        }
        web.on(.post, "backoffice/events/{id}/devices") { request, context in
            try await site.guarded { try await create(request, event: context.parameters.get("id") ?? "") }
        }
        web.on(.post, "backoffice/events/{id}/devices/{device}/revoke") { request, context in
            try await site.guarded {
                try await revoke(request, event: context.parameters.get("id") ?? "", device: context.parameters.get("device") ?? "")
            }
        }
    }

    /// The address a device's QR code holds: the key rides in the fragment, which browsers never send to a server.
    static func pairingLink(baseURL: String, key: String, event: EventID) -> String {
        "\(baseURL)/door#pair=\(key)&event=\(event)"
    }

    private func list(_ request: Request, event text: String, session given: Members.Session? = nil, issued: IssuedAPIKey? = nil,
                      notice: String? = nil, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let session = try await site.member(request, given: given, may: \.managesEvents)
        guard let organizer = session.member.organizerID, let id = EventID(text),
              let (event, _) = try? await catalog.event(id, organizer: organizer) else {
            return try site.notFound("No such event", "Nothing was changed.", request: request, session: session)
        }
        var model: [String: Any] = [
            "title": "Check-in devices", "event_title": event.title, "event_id": event.id.rawValue,
            "devices": try await devices.list(event: id, organizer: organizer).map { ["id": $0.id.rawValue, "name": $0.label, "prefix": $0.prefix] },
            "notice": notice ?? false, "error": error ?? false, "issued": false,
        ]
        if let issued {
            let link = Self.pairingLink(baseURL: baseURL, key: issued.secret, event: id)
            model["issued"] = ["secret": issued.secret, "link": link,
                               "qr": "data:image/png;base64," + Data(try QRCode.png(for: link, scale: 6)).base64EncodedString()]
        }
        return try site.page("backoffice_devices", model, request: request, session: session, status: status)
    }

    private func create(_ request: Request, event: String) async throws -> Response {
        let session = try await site.member(request, may: \.managesEvents)
        let form = try await site.form(request, session: session)
        let name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces)
        guard let organizer = session.member.organizerID, let id = EventID(event) else { throw PlatformError.notFound("event") }
        guard TextRules.isPresent(name, max: 100) else {
            return try await list(request, event: event, session: session, error: "Name must be 1 to 100 characters.", status: .unprocessableContent)
        }
        let issued = try await site.acting(session) { try await devices.create(event: id, organizer: organizer, name: name) }
        return try await list(request, event: event, session: session, issued: issued)
    }

    private func revoke(_ request: Request, event: String, device: String) async throws -> Response {
        let session = try await site.member(request, may: \.managesEvents)
        _ = try await site.form(request, session: session)
        guard let organizer = session.member.organizerID, let id = EventID(event), let key = APIKeyID(device) else {
            throw PlatformError.notFound("check-in device")
        }
        do {
            try await site.acting(session) { try await devices.revoke(key, event: id, organizer: organizer) }
        } catch PlatformError.notFound {
            return try await list(request, event: event, session: session, error: "No such device; nothing was changed.", status: .notFound)
        }
        return try await list(request, event: event, session: session, notice: "Device revoked: it can no longer scan.")
    }
}
