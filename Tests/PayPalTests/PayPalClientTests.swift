import AsyncHTTPClient
import Foundation
import Hummingbird
import PlatformTesting
import PluginKit
import Synchronization
import Testing
@testable import PayPal

/// PayPal's OAuth endpoint and one protected resource, as the fake answers them.
final class FakePayPalOAuth: Sendable {
    private let state = Mutex<(issued: Int, revoked: Set<String>)>((0, []))
    var issued: Int { state.withLock { $0.issued } }
    func revokeAll() { state.withLock { $0.revoked.formUnion((1...$0.issued).map { "A\($0)" }) } }

    func serve<T: Sendable>(_ body: @escaping @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("v1/oauth2/token") { [self] request, _ -> Response in
            let form = String(buffer: try await request.body.collect(upTo: 4096))
            guard request.headers[.authorization] == "Basic " + Data("client-1:secret-1".utf8).base64EncodedString(),
                  form == "grant_type=client_credentials" else {
                return Response(status: .unauthorized, body: .init(byteBuffer: ByteBuffer(string: #"{"error":"invalid_client"}"#)))
            }
            let token = state.withLock { state -> String in
                state.issued += 1
                return "A\(state.issued)"
            }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: #"{"access_token":"\#(token)","token_type":"Bearer","expires_in":3600}"#)))
        }
        router.get("v2/checkout/orders/{id}") { [self] request, _ -> Response in
            let token = request.headers[.authorization].map { String($0.dropFirst("Bearer ".count)) } ?? ""
            guard token.hasPrefix("A"), !state.withLock({ $0.revoked.contains(token) }) else {
                return Response(status: .unauthorized, body: .init(byteBuffer: ByteBuffer(string: #"{"name":"AUTHENTICATION_FAILURE"}"#)))
            }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: #"{"id":"O-1","status":"CREATED"}"#)))
        }
        return try await servingLocally(router, name: "the fake PayPal", body)
    }
}

@Suite struct PayPalClientTests {
    static func client(_ base: String, secret: String = "secret-1", clock: ManualClock) -> PayPalClient {
        var configuration = PayPalConfiguration(clientID: "client-1", clientSecret: secret, webhookID: "WH-1")
        configuration.apiBase = base
        return PayPalClient(configuration: configuration, http: .shared,
                            tokens: PayPalTokens(configuration: configuration, http: .shared, clock: clock))
    }

    @Test func aTokenIsKeptUntilAMinuteBeforeItExpiresAndRenewedOnceOnA401() async throws {
        let fake = FakePayPalOAuth()
        try await fake.serve { base in
            let clock = ManualClock()
            let client = Self.client(base, clock: clock)
            for _ in 0..<3 { #expect(try await client.send(.GET, "/v2/checkout/orders/O-1").status == 200) }
            #expect(fake.issued == 1)
            clock.advance(minutes: 58)
            _ = try await client.send(.GET, "/v2/checkout/orders/O-1")
            #expect(fake.issued == 1)
            clock.advance(minutes: 1)
            _ = try await client.send(.GET, "/v2/checkout/orders/O-1")
            #expect(fake.issued == 2, "renewed a minute before the hour is up")
            fake.revokeAll()
            #expect(try await client.send(.GET, "/v2/checkout/orders/O-1").status == 200)
            #expect(fake.issued == 3, "one new token after the 401")
        }
    }

    @Test func refusedCredentialsAreAProviderErrorThatNamesNoSecret() async throws {
        let fake = FakePayPalOAuth()
        try await fake.serve { base in
            let client = Self.client(base, secret: "wrong-secret-value", clock: ManualClock())
            let error = await #expect(throws: ProviderError.self) { try await client.send(.GET, "/v2/checkout/orders/O-1") }
            #expect(error == .providerError("PayPal refused the client credentials (401)"))
            #expect(!(error?.description.contains("wrong-secret-value") ?? true))
        }
    }

    @Test func errorsMapToTheSharedVocabulary() {
        func body(_ name: String, _ issue: String? = nil) -> Data {
            Data((issue.map { #"{"name":"\#(name)","message":"m","details":[{"issue":"\#($0)","description":"d"}]}"# } ?? #"{"name":"\#(name)"}"#).utf8)
        }
        #expect(PayPalClient.classify(status: 422, body: body("UNPROCESSABLE_ENTITY", "INSTRUMENT_DECLINED")) == .declined("PayPal: INSTRUMENT_DECLINED"))
        #expect(PayPalClient.classify(status: 422, body: body("UNPROCESSABLE_ENTITY", "ORDER_ALREADY_CAPTURED"))
                == .invalidRequest("PayPal: ORDER_ALREADY_CAPTURED"))
        #expect(PayPalClient.classify(status: 429, body: body("RATE_LIMIT_REACHED")) == .rateLimited("PayPal: RATE_LIMIT_REACHED"))
        #expect(PayPalClient.classify(status: 503, body: Data()) == .unavailable("PayPal: HTTP 503"))
        #expect(PayPalClient.classify(status: 409, body: body("RESOURCE_CONFLICT")) == .conflict("PayPal: RESOURCE_CONFLICT"))
        #expect(PayPalClient.classify(status: 400, body: body("INVALID_REQUEST", "MISSING_REQUIRED_PARAMETER"))
                == .invalidRequest("PayPal: MISSING_REQUIRED_PARAMETER"))
    }

    @Test func theConfigurationComesFromTheEnvironment() throws {
        let base = ["PAYPAL_CLIENT_ID": "c", "PAYPAL_CLIENT_SECRET": "s", "PAYPAL_WEBHOOK_ID": "w"]
        guard case let .enabled(configuration) = try PayPalConfiguration.from(Settings(environment: base)) else {
            Issue.record("not enabled")
            return
        }
        #expect(configuration.apiBase == "https://api-m.paypal.com" && configuration.webhookVerification == .offline)
        #expect(configuration.webhookTolerance == 600 && !configuration.acceptSimulator)
        for missing in ["PAYPAL_CLIENT_ID", "PAYPAL_CLIENT_SECRET", "PAYPAL_WEBHOOK_ID"] {
            var environment = base
            environment[missing] = nil
            guard case let .disabled(reason) = try PayPalConfiguration.from(Settings(environment: environment)) else {
                Issue.record("enabled without \(missing)")
                continue
            }
            #expect(reason == "\(missing) is not set")
        }
        let custom = base.merging(["PAYPAL_API_BASE": "https://api-m.sandbox.paypal.com/", "PAYPAL_WEBHOOK_VERIFY": "API",
                                   "PAYPAL_WEBHOOK_TOLERANCE": "120", "PAYPAL_ACCEPT_SIMULATOR": "true"]) { $1 }
        guard case let .enabled(sandbox) = try PayPalConfiguration.from(Settings(environment: custom)) else { return }
        #expect(sandbox.apiBase == "https://api-m.sandbox.paypal.com" && sandbox.webhookVerification == .api)
        #expect(sandbox.webhookTolerance == 120 && sandbox.acceptSimulator)
        for (name, value) in [("PAYPAL_WEBHOOK_VERIFY", "maybe"), ("PAYPAL_WEBHOOK_TOLERANCE", "5"), ("PAYPAL_ACCEPT_SIMULATOR", "perhaps")] {
            #expect(throws: ConfigError.self, "\(name)=\(value)") { try PayPalConfiguration.from(Settings(environment: base.merging([name: value]) { $1 })) }
        }
    }
}

@Suite struct PayPalHTTPSFetcherTests {
    /// A redirect could lead off the allowlist that the URL was checked against: it is not followed.
    @Test func aRedirectIsNotFollowed() async throws {
        let router = Router()
        router.get("certs/moved") { _, _ -> Response in
            Response(status: .found, headers: [.location: "/certs/elsewhere"])
        }
        router.get("certs/elsewhere") { _, _ -> String in "-----BEGIN CERTIFICATE-----" }
        router.get("certs/here") { _, _ -> String in "PEM" }
        try await servingLocally(router, name: "certificates") { (base: String) async throws in
            let here = try await PayPalHTTPSFetcher().pem(at: URL(string: base + "/certs/here")!)
            #expect(here == "PEM")
            let error = await #expect(throws: WebhookRejected.self) { try await PayPalHTTPSFetcher().pem(at: URL(string: base + "/certs/moved")!) }
            #expect(error?.description == "the certificate URL answered 302")
        }
    }
}
