import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import PluginKit

/// OAuth client-credentials tokens (`POST /v1/oauth2/token`, Basic client id and secret): one is
/// kept until a minute before PayPal says it expires, and dropped when PayPal answers 401 to it.
actor PayPalTokens {
    let configuration: PayPalConfiguration
    let http: HTTPClient
    let clock: any WallClock
    private var current: (token: String, until: Timestamp)?
    /// Tokens asked of PayPal so far (a test counts them).
    private(set) var issued = 0

    init(configuration: PayPalConfiguration, http: HTTPClient, clock: any WallClock) {
        self.configuration = configuration
        self.http = http
        self.clock = clock
    }

    /// A token valid for at least a minute more.
    /// - Throws: `ProviderError`: `.providerError` when PayPal refuses the credentials, `.unavailable` when it cannot be reached.
    func token() async throws -> String {
        let now = clock.now()
        if let current, now < current.until { return current.token }
        struct Answer: Decodable { let accessToken: String, expiresIn: Int64 }
        var request = HTTPClientRequest(url: configuration.apiBase + "/v1/oauth2/token")
        request.method = .POST
        let basic = Data("\(configuration.clientID):\(configuration.clientSecret)".utf8).base64EncodedString()
        request.headers.add(name: "Authorization", value: "Basic \(basic)")
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: "grant_type=client_credentials"))
        let status: Int, body: ByteBuffer
        do {
            let response = try await http.execute(request, timeout: .seconds(Int64(configuration.requestTimeout.components.seconds)))
            status = Int(response.status.code)
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw ProviderError.unavailable("PayPal could not be reached for a token (\(type(of: error)))")
        }
        guard status == 200 else {
            // Never the answer: a wrong secret is all it could be about.
            throw status >= 500 ? ProviderError.unavailable("PayPal answered \(status) for a token")
                : ProviderError.providerError("PayPal refused the client credentials (\(status))")
        }
        guard let answer = try? JSONCoding.decoder.decode(Answer.self, from: Data(buffer: body)) else {
            throw ProviderError.providerError("PayPal's token answer is unreadable")
        }
        issued += 1
        current = (answer.accessToken, now.adding(seconds: max(0, answer.expiresIn - 60)))
        return answer.accessToken
    }

    /// Drops `token` if it is the current one (PayPal answered 401 to it).
    func invalidate(_ token: String) {
        if current?.token == token { current = nil }
    }
}
