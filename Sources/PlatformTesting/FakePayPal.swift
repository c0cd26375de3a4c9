import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Platform
import Synchronization
import _CryptoExtras

/// A local PayPal speaking the real wire format for what the plugin uses (PROVIDERS.md): OAuth
/// client credentials, Orders v2 (create with `PayPal-Request-Id` replay, approval by a test call,
/// capture with `ORDER_ALREADY_CAPTURED` on a second capture, `PENDING` or `DECLINED` captures on
/// demand), refunds, payouts with `sender_batch_id` dedupe, the verify-webhook-signature API, error
/// injection, and webhooks signed with a certificate of a test CA.
package final class FakePayPal: Sendable {
    package static let clientID = "fake-paypal-client"
    package static let clientSecret = "fake-paypal-secret-0123456789"
    package static let webhookID = "1FAKE000WEBHOOK00"
    package static let certificateURL = "https://api-m.sandbox.paypal.com/v1/notifications/certs/CERT-fake-0001"

    struct Injected: Sendable {
        let status: Int, name: String, issue: String, path: String?, retryAfter: Int?
    }

    struct Order: Sendable {
        let id: String
        let customID: String
        let amount: Money
        var status: String
        let returnURL: String
        var captureID: String?
        var captureRequestIDs: Set<String> = []
    }

    struct Capture: Sendable {
        let id: String
        let orderID: String
        let customID: String
        let amount: Money
        var status: String
        var refunded: Int64 = 0
        let createdAt: Timestamp
    }

    struct Refund: Sendable {
        let id: String
        let captureID: String
        let amount: Money
        let totalAfter: Int64
        let customID: String?
    }

    struct State: Sendable {
        var base = ""
        var tokensIssued = 0
        var revokedTokens: Set<String> = []
        var orders: [String: Order] = [:]
        var replies: [String: (status: Int, body: String)] = [:]
        var captures: [String: Capture] = [:]
        var refunds: [String: Refund] = [:]
        var batches: [String: FakePayPalBatch] = [:]
        var batchBySender: [String: String] = [:]
        var injected: [Injected] = []
        var nextCaptureStatus: [String] = []
        var loseNextPayoutAnswer = false
        var payerActionRequired: Set<String> = []
        var beforeCapture: [@Sendable () async -> Void] = []
        var denyNextBatch = false
        var counter = 0
        var requests: [(method: String, path: String)] = []
    }

    let clock: any WallClock
    let state = Mutex(State())
    package let ca: TestPayPalCA
    let signingKey: _RSA.Signing.PrivateKey
    /// The webhook signing certificate, issued by `ca`, served at `certificateURL`.
    package let certificatePEM: String

    package init(clock: any WallClock) throws {
        self.clock = clock
        let now = Date(timeIntervalSince1970: Double(clock.now().milliseconds) / 1000)
        ca = try TestPayPalCA(now: now)
        signingKey = FakePayPal.sharedKey
        certificatePEM = try ca.issue(signingKey, from: now - 86_400, until: now + 86_400 * 365)
    }

    /// One 2048-bit key per process: making one takes a while.
    static let sharedKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)

    // MARK: What tests arrange and read

    /// The next `times` API calls (OAuth excepted) to `path` (a prefix; any when nil) answer `status` with PayPal's error body.
    package func inject(_ status: Int, name: String, issue: String, path: String? = nil, times: Int = 1, retryAfter: Int? = nil) {
        state.withLock { $0.injected += Array(repeating: Injected(status: status, name: name, issue: issue, path: path, retryAfter: retryAfter), count: times) }
    }

    /// Makes every token issued so far answer 401, as an expired one does.
    package func revokeTokens() {
        state.withLock { state in state.revokedTokens.formUnion((0...state.tokensIssued).map { "A21AA-fake-\($0)" }) }
    }

    /// The next captures come back with these statuses (`PENDING`, `DECLINED`) instead of `COMPLETED`.
    package func nextCaptures(_ statuses: String...) { state.withLock { $0.nextCaptureStatus += statuses } }

    package var tokensIssued: Int { state.withLock { $0.tokensIssued } }
    package var captureCount: Int { state.withLock { $0.captures.count } }
    package var orderCount: Int { state.withLock { $0.orders.count } }
    package var requests: [(method: String, path: String)] { state.withLock { $0.requests } }
    package func capture(of order: String) -> String? { state.withLock { $0.orders[order]?.captureID } }
    /// What a PayPal order was created for.
    package func amount(of order: String) -> Money? { state.withLock { $0.orders[order]?.amount } }
    package func captureStatus(_ id: String) -> String? { state.withLock { $0.captures[id]?.status } }

    /// The buyer approves PayPal order `id` on PayPal's page; answers where PayPal sends the buyer
    /// back (the order's return URL with `token` and `PayerID`).
    package func approve(_ id: String) throws -> String {
        try state.withLock { state in
            guard var order = state.orders[id] else { throw FakePayPalError("no PayPal order \(id)") }
            if order.status == "CREATED" || order.status == "PAYER_ACTION_REQUIRED" { order.status = "APPROVED" }
            state.orders[id] = order
            return order.returnURL + (order.returnURL.contains("?") ? "&" : "?") + "token=\(id)&PayerID=FAKEPAYER01"
        }
    }

    /// PayPal wants more of the buyer of approved order `id` (a bank's check): its captures are
    /// refused `PAYER_ACTION_REQUIRED` and the order shows its payer-action link again.
    package func requirePayerAction(_ id: String) {
        state.withLock { state in
            state.orders[id]?.status = "PAYER_ACTION_REQUIRED"
            state.payerActionRequired.insert(id)
        }
    }

    /// Runs `action` while the next capture request is under way, before it is answered (a test
    /// moves the clock and runs the expiry worker there).
    package func beforeNextCapture(_ action: @escaping @Sendable () async -> Void) {
        state.withLock { $0.beforeCapture.append(action) }
    }

    /// Settles a pending capture as PayPal would later (`COMPLETED`, `DECLINED`).
    package func settleCapture(_ id: String, as status: String) {
        state.withLock { $0.captures[id]?.status = status }
    }

    /// Serves until `body` returns, with the fake's base URL.
    package func serving<T: Sendable>(_ body: @escaping @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("v1/oauth2/token") { request, _ in try await self.token(request) }
        router.post("v2/checkout/orders") { request, _ in try await self.api(request) { try self.createOrder($0) } }
        router.get("v2/checkout/orders/{id}") { request, context in
            let id = context.parameters.get("id") ?? ""
            return try await self.api(request) { _ in try self.showOrder(id) }
        }
        router.post("v2/checkout/orders/{id}/capture") { request, context in
            let id = context.parameters.get("id") ?? ""
            let before = self.state.withLock { $0.beforeCapture.isEmpty ? nil : $0.beforeCapture.removeFirst() }
            await before?()
            return try await self.api(request) { try self.captureOrder(id, requestID: $0.headers["paypal-request-id"]) }
        }
        router.post("v2/payments/captures/{id}/refund") { request, context in
            let id = context.parameters.get("id") ?? ""
            return try await self.api(request) { try self.refund(id, $0) }
        }
        router.post("v1/payments/payouts") { request, _ in try await self.api(request) { try self.createBatch($0) } }
        router.get("v1/payments/payouts/{id}") { request, context in
            let id = context.parameters.get("id") ?? ""
            return try await self.api(request) { try self.showBatch(id, $0) }
        }
        router.post("v1/notifications/verify-webhook-signature") { request, _ in
            try await self.api(request) { try self.verifySignature($0) }
        }
        // Not PayPal's: the buyer's approval, for a client that cannot call `approve(_:)` (the Python SDK test).
        router.post("fake/approve/{id}") { _, context -> Response in
            _ = try self.approve(context.parameters.get("id") ?? "")
            return Self.reply(200, "{}")
        }
        return try await servingLocally(router, name: "the fake PayPal") { base in
            self.state.withLock { $0.base = base }
            return try await body(base)
        }
    }

    // MARK: Serving

    private func token(_ request: Request) async throws -> Response {
        let form = String(buffer: try await request.body.collect(upTo: 4096))
        let basic = "Basic " + Data("\(Self.clientID):\(Self.clientSecret)".utf8).base64EncodedString()
        guard request.headers[.authorization] == basic, form == "grant_type=client_credentials" else {
            return Self.reply(401, #"{"error":"invalid_client","error_description":"Client Authentication failed"}"#)
        }
        let token = state.withLock { state -> String in
            state.tokensIssued += 1
            return "A21AA-fake-\(state.tokensIssued)"
        }
        return Self.reply(200, #"{"scope":"https://uri.paypal.com/services/payments/payment","access_token":"\#(token)","token_type":"Bearer","app_id":"APP-FAKE","expires_in":32400,"nonce":"fake"}"#)
    }

    /// Authenticates, applies an injected failure, then answers with `handle`.
    private func api(_ request: Request, _ handle: @Sendable (FakePayPalRequest) throws -> (Int, String)) async throws -> Response {
        let raw = try await request.body.collect(upTo: 8 << 20)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let path = request.uri.path
        let token = headers["authorization"].map { String($0.dropFirst("Bearer ".count)) } ?? ""
        let (valid, injected) = state.withLock { state -> (Bool, Injected?) in
            state.requests.append((request.method.rawValue, path))
            let valid = token.hasPrefix("A21AA-fake-") && !state.revokedTokens.contains(token)
            guard valid, let index = state.injected.firstIndex(where: { $0.path.map(path.hasPrefix) ?? true }) else { return (valid, nil) }
            return (true, state.injected.remove(at: index))
        }
        guard valid else {
            return Self.reply(401, #"{"error":"invalid_token","error_description":"Token signature verification failed"}"#)
        }
        if let injected {
            var response = Self.reply(injected.status, Self.errorBody(injected.name, issue: injected.issue))
            if let after = injected.retryAfter { response.headers[.retryAfter] = String(after) }
            return response
        }
        let data = Data(buffer: raw)
        let body = data.isEmpty ? [:] : ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:])
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
        do {
            let (status, text) = try handle(FakePayPalRequest(json: body, headers: headers, raw: data, query: query))
            return Self.reply(status, text)
        } catch let error as FakePayPalRefusal {
            return Self.reply(error.status, Self.errorBody(error.name, issue: error.issue, field: error.field, detailLinks: error.detailLinks))
        }
    }

    static func reply(_ status: Int, _ body: String) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// PayPal's error body; a detail may name its `field` and carry a `link` (as the refusal of a
    /// `sender_batch_id` used before links the original batch).
    static func errorBody(_ name: String, issue: String, field: String? = nil, detailLinks: [[String: String]] = []) -> String {
        var detail: [String: Any] = ["issue": issue, "description": "Injected or refused by the fake PayPal."]
        if let field { detail["field"] = field; detail["location"] = "body" }
        if !detailLinks.isEmpty { detail["link"] = detailLinks }
        return json([
            "name": name, "message": "The requested action could not be performed.", "debug_id": "f00dfeed\(Int.random(in: 1000...9999))",
            "details": [detail], "links": [] as [Any],
        ])
    }

    static func json(_ object: Any) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8), as: UTF8.self)
    }

    func nextID(_ prefix: String, _ state: inout State) -> String {
        state.counter += 1
        return prefix + String(format: "%013d", state.counter)
    }
}

/// One API request as the fake's handlers read it.
struct FakePayPalRequest {
    let json: [String: Any]
    /// Lower-cased names.
    let headers: [String: String]
    let raw: Data
    let query: [String: String]
}

/// A refusal the fake answers with PayPal's error body.
struct FakePayPalRefusal: Error {
    let status: Int, name: String, issue: String
    var field: String? = nil
    var detailLinks: [[String: String]] = []
}

package struct FakePayPalError: Error, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}
