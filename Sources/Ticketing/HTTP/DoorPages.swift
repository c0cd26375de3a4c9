import Foundation
import Hummingbird
import Platform
import PluginKit

/// The scanner page at `/door`. The page scans with a check-in device key that it keeps in the
/// browser: paired from a device's QR code (the key in the address's fragment), or here by a
/// signed-in member, which makes the browser a device of the event it picks. Everything else
/// happens in `static/door.js` against the check-in API: online scans, the offline bundle,
/// offline decisions and the upload of offline scans.
struct DoorPages {
    let site: MemberSite
    let devices: Devices
    let catalog: Catalog

    func register(_ web: WebRoutes) {
        web.on(.get, "door") { request, _ in try await site.guarded { try await show(request) } }
        web.on(.post, "door/pair") { request, _ in try await site.guarded { try await pair(request) } }
    }

    private func signedIn(_ request: Request) async throws -> Members.Session? {
        guard let token = request.cookies[MemberSite.cookie]?.value, !token.isEmpty else { return nil }
        return try await site.members.session(token: token)
    }

    private func show(_ request: Request, paired: (key: String, event: EventID)? = nil) async throws -> Response {
        var model: [String: Any] = ["title": "Door", "script": "door.js", "pair_key": paired?.key ?? "", "pair_event": paired?.event.rawValue ?? ""]
        let session = try await signedIn(request)
        if let session, session.member.role.scans, let organizer = session.member.organizerID {
            let events = try await catalog.events(organizer: organizer, after: nil, limit: 500).filter { $0.status == .live }
            model["events"] = events.reversed().map { ["event_id": $0.id.rawValue, "event_title": $0.title,
                                                       "starts_at": LocalTime.text($0.startsAt, timezone: $0.timezone)] }
            model["member"] = true
            model["box_office"] = BoxOfficePages.mayUse(session.member.role)
        }
        return try site.page("door", model, request: request, session: session)
    }

    /// A member makes this browser a check-in device of the event chosen.
    private func pair(_ request: Request) async throws -> Response {
        let session = try await site.member(request, may: \.scans)
        let form = try await site.form(request, session: session)
        guard let organizer = session.member.organizerID, let event = form["event"].flatMap(EventID.init) else {
            throw PlatformError.notFound("event")
        }
        let issued = try await site.acting(session) {
            try await devices.create(event: event, organizer: organizer, name: "\(session.member.email) (browser)")
        }
        return try await show(request, paired: (issued.secret, event))
    }
}
