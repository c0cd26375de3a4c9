import Hummingbird
import PluginKit

/// The API side of "My tickets" sign-in: ask for a link, trade its token for a session, end it.
struct BuyerSignInController {
    let signIn: BuyerSignIn
    let limiter: RateLimiter
    let trustForwardedFor: Bool
    let maxBodyBytes: Int

    func register(_ routes: RouteRegistrar<AppRequestContext>) {
        routes.on(.post, "public/my-tickets/links", use: requestLink)
        routes.on(.post, "public/my-tickets/sessions", use: open)
        routes.on(.delete, "public/my-tickets/session", use: close)
    }

    /// 202 whether or not the address has orders, so the answer tells nobody which addresses do.
    @Sendable func requestLink(_ request: Request, context: AppRequestContext) async throws -> Response {
        try limiter.enforce(request.clientAddress(context, trustForwardedFor: trustForwardedFor), counting: "sign-in requests", per: "one client")
        let fields = try await RequestFields.read(request, limit: maxBodyBytes)
        let email = fields.required(fields.string("email"), "email", placeholder: "", where: TextRules.isEmail, "must be an email address")
        try fields.finish()
        let outcome = try await signIn.requestLink(email: email)
        context.logger.info("sign-in link requested", metadata: ["outcome": "\(outcome)"])
        return try JSONCoding.response(SignInLinkBody(), status: .accepted)
    }

    @Sendable func open(_ request: Request, context: AppRequestContext) async throws -> Response {
        try limiter.enforce(request.clientAddress(context, trustForwardedFor: trustForwardedFor), counting: "sign-in requests", per: "one client")
        let fields = try await RequestFields.read(request, limit: maxBodyBytes)
        let token = fields.required(fields.string("token"), "token", placeholder: "")
        try fields.finish()
        guard !token.isEmpty, let session = try await signIn.signIn(linkToken: token), let secret = session.token else {
            throw Problem.signInLinkInvalid
        }
        var response = try JSONCoding.response(BuyerSessionBody(token: secret, email: session.email, expiresAt: session.expiresAt),
                                               status: .created)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    @Sendable func close(_ request: Request, context: AppRequestContext) async throws -> Response {
        if let token = request.buyerSessionToken { try await signIn.signOut(token: token) }
        return Response(status: .noContent)
    }
}

extension Problem {
    static var signInLinkInvalid: Problem {
        Problem(.unauthorized, kind: "sign-in-link-invalid", title: "Sign-in link not valid",
                detail: "the link is unknown, already used or older than \(BuyerSignIn.linkLifetimeMinutes) minutes; ask for a new one")
    }
}

struct SignInLinkBody: Encodable {
    let detail = "if orders were placed with this address, a sign-in link is on its way; it works once, for \(BuyerSignIn.linkLifetimeMinutes) minutes"
}

struct BuyerSessionBody: Encodable {
    let token: String
    let email: String
    let expiresAt: Timestamp
}
