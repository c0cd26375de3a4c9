import Hummingbird
import PluginKit

/// Where modules add server-rendered pages: routes at the root, not part of the API document.
package struct WebRoutes {
    let group: RouterGroup<AppRequestContext>
    package let site: WebSite

    package func on(_ method: HTTPRequest.Method, _ path: String,
                   use handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Response) {
        group.on(RouterPath(path), method: method, use: handler)
    }
}

/// What page handlers share: the renderer, the buyer sign-in that buyer pages rely on, and the body limit.
package struct WebSite: Sendable {
    package let pages: PageRenderer
    package let signIn: BuyerSignIn
    package let maxBodyBytes: Int

    /// Cookies carry Secure when people reach the server over HTTPS.
    package var secureCookies: Bool { signIn.baseURL.hasPrefix("https://") }

    /// A page with forms: the model gets `csrf`, the request's CSRF value or a new one that the
    /// response sets as a cookie.
    package func formPage(_ name: String, _ model: [String: Any], request: Request, status: HTTPResponse.Status = .ok) throws -> Response {
        let csrf = WebForm.csrf(request, secure: secureCookies)
        var full = model
        full["csrf"] = csrf.value
        var response = try pages.response(name, full, status: status)
        if let cookie = csrf.cookie { response.setCookie(cookie) }
        return response
    }

    /// The page for an address that leads nowhere (404), saying `message`.
    package func notFound(_ message: String) throws -> Response {
        try pages.response("not_found", ["title": "Not found", "message": message], status: .notFound)
    }

    /// The open buyer session of the request's cookie, if any.
    package func buyerSession(_ request: Request) async throws -> BuyerSignIn.Session? {
        guard let token = request.cookies[Request.buyerSessionCookie]?.value, !token.isEmpty else { return nil }
        return try await signIn.session(token: token)
    }
}
