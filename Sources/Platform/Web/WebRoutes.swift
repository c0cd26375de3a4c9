import Hummingbird

/// Where modules add server-rendered pages: routes at the root, not part of the API document.
public struct WebRoutes {
    let group: RouterGroup<AppRequestContext>
    public let site: WebSite

    public func on(_ method: HTTPRequest.Method, _ path: String,
                   use handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Response) {
        group.on(RouterPath(path), method: method, use: handler)
    }
}

/// What page handlers share: the renderer, the buyer sign-in that buyer pages rely on, and the body limit.
public struct WebSite: Sendable {
    public let pages: PageRenderer
    public let signIn: BuyerSignIn
    public let maxBodyBytes: Int

    /// Cookies carry Secure when people reach the server over HTTPS.
    public var secureCookies: Bool { signIn.baseURL.hasPrefix("https://") }

    /// The open buyer session of the request's cookie, if any.
    public func buyerSession(_ request: Request) async throws -> BuyerSignIn.Session? {
        guard let token = request.cookies[Request.buyerSessionCookie]?.value, !token.isEmpty else { return nil }
        return try await signIn.session(token: token)
    }
}
