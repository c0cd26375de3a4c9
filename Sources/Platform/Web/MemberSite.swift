import Foundation
import Hummingbird
import PluginKit

/// What every page for members shares (the back office, the door, the admin pages): the member's
/// session cookie, the check of who may open a page, and the page frame (navigation, CSRF value).
package struct MemberSite: Sendable {
    package static let cookie = "backoffice_session"
    package static let home = "/backoffice"
    package static let signIn = "/backoffice/sign-in"

    package let web: WebSite
    package let members: Members
    package let trustForwardedFor: Bool

    package init(web: WebSite, members: Members, trustForwardedFor: Bool) {
        self.web = web
        self.members = members
        self.trustForwardedFor = trustForwardedFor
    }

    /// A page's answer when the request may not open it: to the sign-in page, or a 403 page.
    package struct Refused: Error { package let response: Response }

    /// The signed-in member, if `allowed` lets its role open the page.
    /// - Throws: `Refused` with a redirect to the sign-in page (no session) or a 403 page (another role).
    package func member(_ request: Request, may allowed: (MemberRole) -> Bool = { MemberRole.organizerRoles.contains($0) }) async throws -> Members.Session {
        guard let token = request.cookies[Self.cookie]?.value, !token.isEmpty, let session = try await members.session(token: token) else {
            throw Refused(response: PageRenderer.redirect(to: Self.signIn + "?next=" + URLForm.escape(request.uri.path)))
        }
        guard allowed(session.member.role) else {
            throw Refused(response: try page("backoffice_message", [
                "title": "Not for your role", "heading": "Not for your role",
                "message": "Your role (\(session.member.role.rawValue)) does not open this page.",
            ], request: request, session: session, status: .forbidden))
        }
        return session
    }

    /// The session a handler already holds, or the request's member if `allowed` lets its role in.
    /// - Throws: `Refused`, as `member(_:may:)`.
    package func member(_ request: Request, given: Members.Session?, may allowed: (MemberRole) -> Bool) async throws -> Members.Session {
        if let given { return given }
        return try await member(request, may: allowed)
    }

    /// The 404 page of a member's page: `heading`, and `message` under it.
    package func notFound(_ heading: String, _ message: String, request: Request, session: Members.Session?) throws -> Response {
        try page("backoffice_message", ["title": "Not found", "heading": heading, "message": message], request: request, session: session,
                 status: .notFound)
    }

    /// Runs `body` with the member as the audit log's actor.
    package func acting<T: Sendable>(_ session: Members.Session, _ body: () async throws -> T) async throws -> T {
        try await AuditScope.acting(as: .member(session.member.id), body)
    }

    /// Runs a page handler, answering `Refused` with its response.
    package func guarded(_ body: () async throws -> Response) async throws -> Response {
        do { return try await body() } catch let refused as Refused { return refused.response }
    }

    /// A page in the back-office frame: navigation for the member's role, and the form's CSRF value.
    package func page(_ name: String, _ model: [String: Any], request: Request, session: Members.Session?,
              status: HTTPResponse.Status = .ok) throws -> Response {
        var full = model
        if let member = session?.member {
            full["signed_in"] = true
            full["member_email"] = member.email
            full["member_role"] = member.role.rawValue
            full["nav_owner"] = member.role.managesMembers
            full["nav_manager"] = member.role.managesEvents
        }
        return try web.formPage(name, full, request: request, status: status)
    }

    /// The session cookie: HttpOnly, SameSite=Lax (a link from an email keeps it), Secure over https,
    /// for every path (the door and admin pages sign in the same members).
    package func sessionCookie(_ value: String, maxAge: Int) -> Cookie {
        Cookie(name: Self.cookie, value: value, maxAge: maxAge, path: "/", secure: web.secureCookies, httpOnly: true, sameSite: .lax)
    }

    /// Where a member goes after signing in, joining or resetting its password: `next` when it is a
    /// page for members, else the page its role works on (the door, the admin pages, the dashboard).
    package static func landing(for role: MemberRole, next: String?) -> String {
        if let next, !next.isEmpty { return destination(next) }
        switch role {
        case .door: return "/door"
        case .admin: return "/admin"
        case .owner, .manager: return home
        }
    }

    /// Where to go after signing in: `next` when it is a page for members (the back office, the
    /// door, the admin pages) of this site, else the dashboard.
    package static func destination(_ next: String?) -> String {
        guard let next, ["/backoffice", "/door", "/admin"].contains(where: { next == $0 || next.hasPrefix($0 + "/") || next.hasPrefix($0 + "?") }),
              !next.contains("//"), !next.contains("\\") else { return home }
        return next
    }

    /// Reads a posted form and checks its CSRF value.
    /// - Throws: `Refused` with a 403 page when the CSRF value is missing or wrong.
    package func form(_ request: Request, session: Members.Session?) async throws -> WebForm {
        let form = try await WebForm.read(request, limit: web.maxBodyBytes)
        guard form.hasValidCSRF(request) else {
            throw Refused(response: try page("backoffice_message", [
                "title": "Form expired", "heading": "This form expired",
                "message": "Nothing was changed. Go back, reload the page and send it again.",
            ], request: request, session: session, status: .forbidden))
        }
        return form
    }
}
