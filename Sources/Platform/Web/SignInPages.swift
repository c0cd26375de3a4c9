import Foundation
import Hummingbird
import PluginKit

/// The "My tickets" sign-in pages. The emailed link opens a page that asks for one click: the
/// token is spent only by that POST, so a mail scanner that fetches the link leaves it usable.
struct SignInPages {
    static let homePath = "/my-tickets"
    let site: WebSite
    let limiter: RateLimiter
    let trustForwardedFor: Bool

    func register(_ web: WebRoutes) {
        web.on(.get, "my-tickets/sign-in", use: show)
        web.on(.post, "my-tickets/sign-in/link", use: requestLink)
        web.on(.post, "my-tickets/sign-in", use: signIn)
        web.on(.post, "my-tickets/sign-out", use: signOut)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        if let token = request.uri.queryParameters["token"].map(String.init), !token.isEmpty {
            return try page("sign_in_confirm", ["token": token], request: request)
        }
        return try page("sign_in", [:], request: request)
    }

    @Sendable func requestLink(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await WebForm.read(request, limit: site.maxBodyBytes)
        guard form.hasValidCSRF(request) else { return try expiredForm(request) }
        try limiter.enforce(request.clientAddress(context, trustForwardedFor: trustForwardedFor), counting: "sign-in requests", per: "one client")
        let email = (form["email"] ?? "").trimmingCharacters(in: .whitespaces)
        guard TextRules.isEmail(email) else {
            return try page("sign_in", ["email": email, "error": "Enter the email address you bought tickets with."], request: request,
                            status: .unprocessableContent)
        }
        let outcome = try await site.signIn.requestLink(email: email)
        context.logger.info("sign-in link requested", metadata: ["outcome": "\(outcome)"])
        return try page("link_sent", ["email": email], request: request)
    }

    @Sendable func signIn(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await WebForm.read(request, limit: site.maxBodyBytes)
        guard form.hasValidCSRF(request) else { return try expiredForm(request) }
        try limiter.enforce(request.clientAddress(context, trustForwardedFor: trustForwardedFor), counting: "sign-in requests", per: "one client")
        guard let token = form["token"], !token.isEmpty, let session = try await site.signIn.signIn(linkToken: token),
              let secret = session.token else {
            return try page("sign_in", ["error": Problem.signInLinkInvalid.detail.capitalizedFirst + "."], request: request,
                            status: .unauthorized)
        }
        var response = PageRenderer.redirect(to: Self.homePath)
        response.setCookie(sessionCookie(secret, maxAge: Int(BuyerSignIn.sessionLifetimeMinutes * 60)))
        return response
    }

    @Sendable func signOut(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await WebForm.read(request, limit: site.maxBodyBytes)
        guard form.hasValidCSRF(request) else { return try expiredForm(request) }
        if let token = request.cookies[Request.buyerSessionCookie]?.value { try await site.signIn.signOut(token: token) }
        var response = PageRenderer.redirect(to: "/my-tickets/sign-in")
        response.setCookie(sessionCookie("", maxAge: 0))
        return response
    }

    /// Lax, so that the session comes along when a buyer follows a link to the page from elsewhere.
    private func sessionCookie(_ value: String, maxAge: Int) -> Cookie {
        Cookie(name: Request.buyerSessionCookie, value: value, maxAge: maxAge, path: "/", secure: site.secureCookies, httpOnly: true,
               sameSite: .lax)
    }

    /// A form without its CSRF value (an old tab, or a post from another site) starts over.
    private func expiredForm(_ request: Request) throws -> Response {
        try page("sign_in", ["error": "This form expired. Please try again."], request: request, status: .forbidden)
    }

    private func page(_ name: String, _ model: [String: Any], request: Request, status: HTTPResponse.Status = .ok) throws -> Response {
        var full = model
        full["title"] = full["title"] ?? "My tickets"
        full["valid_minutes"] = BuyerSignIn.linkLifetimeMinutes
        return try site.formPage(name, full, request: request, status: status)
    }
}

extension String {
    package var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
