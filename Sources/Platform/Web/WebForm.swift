import Foundation
import Hummingbird
import PluginKit

/// A submitted HTML form (`application/x-www-form-urlencoded`) and the double-submit CSRF check
/// its pages use: a random value in a SameSite=Strict cookie that the form repeats in a hidden field.
package struct WebForm: Sendable {
    static let csrfCookie = "csrf"
    package let fields: [String: String]

    package static func read(_ request: Request, limit: Int) async throws -> WebForm {
        let body = try await request.body.collect(upTo: limit)
        return WebForm(fields: Dictionary(URLForm.decode(String(buffer: body)), uniquingKeysWith: { _, last in last }))
    }

    package subscript(_ name: String) -> String? { fields[name] }

    /// True when the form repeats the request's CSRF cookie.
    package func hasValidCSRF(_ request: Request) -> Bool {
        guard let cookie = request.cookies[Self.csrfCookie]?.value, cookie.count >= 32, let field = fields["csrf"] else { return false }
        return cookie.constantTimeEquals(field)
    }

    /// The request's CSRF value, or a new one with the cookie that sets it.
    package static func csrf(_ request: Request, secure: Bool) -> (value: String, cookie: Cookie?) {
        if let value = request.cookies[csrfCookie]?.value, value.count >= 32, value.allSatisfy({ $0.isLetter || $0.isNumber }) {
            return (value, nil)
        }
        let value = SecretToken.make(marker: "")
        return (value, Cookie(name: csrfCookie, value: value, path: "/", secure: secure, httpOnly: true, sameSite: .strict))
    }
}
