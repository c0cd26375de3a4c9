import Foundation
import HTTPTypes
import Hummingbird
import PluginKit

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}

extension Request {
    /// The buyer session cookie the "My tickets" pages set.
    static let buyerSessionCookie = "my_tickets_session"

    /// What opens an order for a buyer: the `?token=` of the order (from checkout or an email),
    /// else a buyer session (`Authorization: Bearer` or the session cookie). Without any, what it
    /// would open does not exist for the caller.
    package func orderAccessToken(orNotFound noun: String) throws -> String {
        if let token = uri.queryParameters["token"].map(String.init), !token.isEmpty { return token }
        guard let session = buyerSessionToken else { throw Problem.notFound(noun) }
        return session
    }

    /// A buyer session token from `Authorization: Bearer` or the session cookie.
    package var buyerSessionToken: String? {
        if let token = bearerToken { return token }
        guard let value = cookies[Self.buyerSessionCookie]?.value, !value.isEmpty else { return nil }
        return value
    }

    /// The token of `Authorization: Bearer`, never a cookie: what may spend a buyer's credit through
    /// the API, which a page of another site cannot send.
    package var bearerToken: String? {
        guard let header = headers[.authorization], header.hasPrefix("Bearer ") else { return nil }
        let token = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    /// The client's address for rate limits: X-Forwarded-For only behind a proxy that sets it.
    package func clientAddress(_ context: AppRequestContext, trustForwardedFor: Bool) -> String {
        if trustForwardedFor, let forwarded = headers[.xForwardedFor]?.split(separator: ",").first {
            return forwarded.trimmingCharacters(in: .whitespaces)
        }
        return context.remoteIP ?? "unknown"
    }
}
