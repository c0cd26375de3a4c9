import Foundation
import Hummingbird
import Platform
import PluginKit

/// The organizer's members: the owner invites people by email with a role, and removes them.
struct MemberPages {
    let site: MemberSite
    let members: Members

    func register(_ web: WebRoutes) {
        web.on(.get, "backoffice/members") { request, _ in try await site.guarded { try await list(request) } }
        web.on(.post, "backoffice/members/invitations") { request, _ in try await site.guarded { try await invite(request) } }
        web.on(.post, "backoffice/members/{id}/remove") { request, context in
            try await site.guarded { try await remove(request, id: context.parameters.get("id") ?? "") }
        }
    }

    private func list(_ request: Request, session given: Members.Session? = nil, notice: String? = nil, error: String? = nil,
                      typed: (email: String, role: String) = ("", "manager"), status: HTTPResponse.Status = .ok) async throws -> Response {
        let session = try await site.member(request, given: given, may: \.managesMembers)
        guard let organizer = session.member.organizerID else { throw PlatformError.notFound("organizer") }
        let all = try await members.list(organizer: organizer)
        return try site.page("backoffice_members", [
            "title": "Members",
            "members": all.map { ["id": $0.id.rawValue, "email": $0.email, "role": $0.role.rawValue, "is_self": $0.id == session.member.id] },
            "roles": MemberRole.organizerRoles.map { ["role": $0.rawValue, "selected": $0.rawValue == typed.role] },
            "email": typed.email, "notice": notice ?? false, "error": error ?? false,
        ], request: request, session: session, status: status)
    }

    private func invite(_ request: Request) async throws -> Response {
        let session = try await site.member(request, may: \.managesMembers)
        let form = try await site.form(request, session: session)
        let email = (form["email"] ?? "").trimmingCharacters(in: .whitespaces), roleText = form["role"] ?? ""
        do {
            guard let role = MemberRole(rawValue: roleText) else { throw ValidationFailure(field: "role", "must be one of owner, manager, door") }
            try await site.acting(session) { try await members.invite(email: email, role: role, by: session.member) }
            return try await list(request, session: session, notice: "Invitation sent to \(email) as \(role.rawValue).")
        } catch let failure as ValidationFailure {
            return try await list(request, session: session, error: MemberSignInPages.message(failure), typed: (email, roleText),
                                  status: .unprocessableContent)
        }
    }

    private func remove(_ request: Request, id: String) async throws -> Response {
        let session = try await site.member(request, may: \.managesMembers)
        _ = try await site.form(request, session: session)
        guard let organizer = session.member.organizerID, let memberID = MemberID(id) else { throw PlatformError.notFound("member") }
        do {
            try await site.acting(session) { try await members.remove(memberID, organizer: organizer, by: session.member) }
            if memberID == session.member.id { return PageRenderer.redirect(to: MemberSite.signIn) }
            return try await list(request, session: session, notice: "Member removed; their sessions ended.")
        } catch PlatformError.conflict(let detail) {
            return try await list(request, session: session, error: detail.capitalizedFirst + ".", status: .conflict)
        } catch PlatformError.notFound {
            return try site.notFound("No such member", "Nothing was changed.", request: request, session: session)
        }
    }
}
