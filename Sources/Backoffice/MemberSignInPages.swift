import Foundation
import Hummingbird
import Platform
import PluginKit

/// Signing in and out, password resets and accepting an invitation. Sign-in is limited per client
/// and per address; a wrong address and a wrong password get the same answer.
struct MemberSignInPages {
    let site: MemberSite
    let perClient: RateLimiter
    let perAddress: RateLimiter

    func register(_ web: WebRoutes) {
        web.on(.get, "backoffice/sign-in") { request, _ in try await showSignIn(request) }
        web.on(.post, "backoffice/sign-in") { request, context in try await site.guarded { try await signIn(request, context: context) } }
        web.on(.post, "backoffice/sign-out") { request, _ in try await site.guarded { try await signOut(request, everywhere: false) } }
        web.on(.post, "backoffice/sign-out-everywhere") { request, _ in try await site.guarded { try await signOut(request, everywhere: true) } }
        web.on(.get, "backoffice/password-reset") { request, _ in try site.page("backoffice_reset_request", ["title": "Reset your password"], request: request, session: nil) }
        web.on(.post, "backoffice/password-reset") { request, context in try await site.guarded { try await requestReset(request, context: context) } }
        web.on(.get, "backoffice/password-reset/confirm") { request, _ in try await showReset(request) }
        web.on(.post, "backoffice/password-reset/confirm") { request, _ in try await site.guarded { try await reset(request) } }
        web.on(.get, "backoffice/invitation") { request, _ in try await showInvitation(request) }
        web.on(.post, "backoffice/invitation") { request, _ in try await site.guarded { try await accept(request) } }
    }

    private func showSignIn(_ request: Request) async throws -> Response {
        let next = request.uri.queryParameters["next"].map(String.init)
        if let token = request.cookies[MemberSite.cookie]?.value, try await site.members.session(token: token) != nil {
            return PageRenderer.redirect(to: MemberSite.destination(next))
        }
        return try site.page("backoffice_sign_in", ["title": "Sign in", "next": next ?? ""], request: request, session: nil)
    }

    private func signIn(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await site.form(request, session: nil)
        let email = (form["email"] ?? "").trimmingCharacters(in: .whitespaces), next = form["next"] ?? ""
        func refuse(_ message: String, _ status: HTTPResponse.Status) throws -> Response {
            try site.page("backoffice_sign_in", ["title": "Sign in", "email": email, "next": next, "error": message], request: request,
                          session: nil, status: status)
        }
        if perClient.retryAfter(for: request.clientAddress(context, trustForwardedFor: site.trustForwardedFor)) != nil
            || perAddress.retryAfter(for: email.lowercased()) != nil {
            return try refuse("Too many attempts. Wait a minute and try again.", .tooManyRequests)
        }
        guard let session = try await site.members.signIn(email: email, password: form["password"] ?? ""), let token = session.token else {
            context.logger.info("member sign-in refused")
            return try refuse("Wrong email address or password.", .unauthorized)
        }
        return signedIn(token, to: MemberSite.landing(for: session.member.role, next: next))
    }

    private func signedIn(_ token: String, to location: String) -> Response {
        var response = PageRenderer.redirect(to: location)
        response.setCookie(site.sessionCookie(token, maxAge: 12 * 3600))
        return response
    }

    private func signOut(_ request: Request, everywhere: Bool) async throws -> Response {
        _ = try await site.form(request, session: nil)
        if let token = request.cookies[MemberSite.cookie]?.value, !token.isEmpty {
            if everywhere, let session = try await site.members.session(token: token) {
                try await site.members.signOutEverywhere(session.member)
            } else {
                try await site.members.signOut(token: token)
            }
        }
        var response = PageRenderer.redirect(to: MemberSite.signIn)
        response.setCookie(site.sessionCookie("", maxAge: 0))
        return response
    }

    private func requestReset(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await site.form(request, session: nil)
        let email = (form["email"] ?? "").trimmingCharacters(in: .whitespaces)
        guard TextRules.isEmail(email) else {
            return try site.page("backoffice_reset_request", ["title": "Reset your password", "email": email,
                                                              "error": "Enter the email address you sign in with."],
                                 request: request, session: nil, status: .unprocessableContent)
        }
        if perClient.retryAfter(for: request.clientAddress(context, trustForwardedFor: site.trustForwardedFor)) == nil {
            try await site.members.requestReset(email: email)
        }
        return try site.page("backoffice_message", [
            "title": "Check your email", "heading": "Check your email",
            "message": "If \(email) belongs to a member, a link to choose a new password is on its way. It works once, for \(Members.resetLifetimeMinutes) minutes.",
        ], request: request, session: nil)
    }

    private func showReset(_ request: Request) async throws -> Response {
        let token = request.uri.queryParameters["token"].map(String.init) ?? ""
        guard !token.isEmpty, try await site.members.resetIsValid(token: token) else { return try expired(request, what: "password reset") }
        return try site.page("backoffice_reset_confirm", ["title": "Choose a new password", "token": token], request: request, session: nil)
    }

    private func reset(_ request: Request) async throws -> Response {
        let form = try await site.form(request, session: nil)
        let token = form["token"] ?? ""
        do {
            guard let session = try await site.members.resetPassword(token: token, password: form["password"] ?? ""),
                  let secret = session.token else { return try expired(request, what: "password reset") }
            return signedIn(secret, to: MemberSite.landing(for: session.member.role, next: nil))
        } catch let failure as ValidationFailure {
            return try site.page("backoffice_reset_confirm", ["title": "Choose a new password", "token": token,
                                                              "error": Self.message(failure)],
                                 request: request, session: nil, status: .unprocessableContent)
        }
    }

    private func showInvitation(_ request: Request) async throws -> Response {
        let token = request.uri.queryParameters["token"].map(String.init) ?? ""
        guard !token.isEmpty, let invitation = try await site.members.invitation(token: token) else { return try expired(request, what: "invitation") }
        return try site.page("backoffice_invitation", [
            "title": "Join \(invitation.organizer)", "organizer": invitation.organizer, "email": invitation.email,
            "role": invitation.role.rawValue, "token": token,
        ], request: request, session: nil)
    }

    private func accept(_ request: Request) async throws -> Response {
        let form = try await site.form(request, session: nil)
        let token = form["token"] ?? ""
        guard let invitation = try await site.members.invitation(token: token) else { return try expired(request, what: "invitation") }
        do {
            guard let session = try await site.members.acceptInvitation(token: token, password: form["password"] ?? ""),
                  let secret = session.token else { return try expired(request, what: "invitation") }
            return signedIn(secret, to: MemberSite.landing(for: session.member.role, next: nil))
        } catch let failure as ValidationFailure {
            return try site.page("backoffice_invitation", [
                "title": "Join \(invitation.organizer)", "organizer": invitation.organizer, "email": invitation.email,
                "role": invitation.role.rawValue, "token": token, "error": Self.message(failure),
            ], request: request, session: nil, status: .unprocessableContent)
        }
    }

    private func expired(_ request: Request, what: String) throws -> Response {
        try site.page("backoffice_message", [
            "title": "Link expired", "heading": "This link no longer works",
            "message": "The \(what) link was used already or has expired. Ask for a new one.",
        ], request: request, session: nil, status: .notFound)
    }

    /// "Password must be at least 10 characters." for each field error.
    static func message(_ failure: ValidationFailure) -> String {
        failure.errors.map { "\($0.field.capitalizedFirst) \($0.detail)." }.joined(separator: " ")
    }
}
