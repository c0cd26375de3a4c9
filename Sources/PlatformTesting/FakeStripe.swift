import Foundation
import HTTPTypes
import Hummingbird
import Platform
import Stripe
import Synchronization

/// A local Stripe speaking the real wire format for what the plugin uses: Checkout Sessions and
/// Refunds (form-encoded, Bearer key, Idempotency-Key replay and conflicts, Stripe's error bodies),
/// plus signed event emission. Tests can inject failures and delays.
package final class FakeStripe: Sendable {
    package static let secretKey = "sk_test_fake_0123456789"
    package static let webhookSecret = "whsec_test_secret_0123456789abcdef"

    struct Injected: Sendable {
        let status: Int
        let type: String
        let message: String
        /// Stripe saves the answer of a request that began executing (a 500), not of one refused up front (429, 409).
        let saved: Bool
    }

    struct Saved: Sendable {
        let parameters: String
        let status: Int
        let body: String
    }

    struct State: Sendable {
        var sessions: [String: [String: String]] = [:]
        var saved: [String: Saved] = [:]
        var inFlight: Set<String> = []
        var injected: [Injected] = []
        var delay: Duration?
        var requests: [(path: String, form: [(String, String)], headers: [String: String])] = []
        var counter = 0
    }

    let clock: any WallClock
    private let state = Mutex(State())

    package init(clock: any WallClock) { self.clock = clock }

    package func inject(_ status: Int, type: String, message: String, saved: Bool = false, times: Int = 1) {
        state.withLock { $0.injected += Array(repeating: Injected(status: status, type: type, message: message, saved: saved), count: times) }
    }

    package func delay(_ duration: Duration?) { state.withLock { $0.delay = duration } }
    package var requests: [(path: String, form: [(String, String)], headers: [String: String])] { state.withLock { $0.requests } }
    package var requestCount: Int { state.withLock { $0.requests.count } }

    /// Serves until `body` returns, with the fake's base URL.
    package func serving<T: Sendable>(_ body: @escaping @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("v1/checkout/sessions") { request, _ in try await self.handle(request, create: self.createSession) }
        router.post("v1/refunds") { request, _ in try await self.handle(request, create: self.createRefund) }
        router.post("v1/transfers") { request, _ in try await self.handle(request, create: self.createTransfer) }
        return try await servingLocally(router, name: "the fake Stripe", body)
    }

    private func handle(_ request: Request, create: @Sendable ([String: String]) -> (Int, String)) async throws -> Response {
        let bodyText = String(buffer: try await request.body.collect(upTo: 1 << 20))
        let pairs = FormParameters.decode(bodyText)
        // Stripe compares a replayed key's parameters as decoded, not as bytes (`+` or `%20` for a space).
        let parameters = pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "\n")
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let key = headers["idempotency-key"]
        let path = request.uri.path
        let delay = state.withLock { state in
            state.requests.append((path, pairs, headers))
            return state.delay
        }
        guard headers["authorization"] == "Bearer \(Self.secretKey)" else {
            return Self.error(401, type: "invalid_request_error", message: "Invalid API Key provided: sk_test_****")
        }
        let scope = key.map { "\(path)|\($0)" }
        // Idempotency: replay, refuse other parameters, refuse a concurrent duplicate.
        if let scope {
            let existing: Response? = state.withLock { state in
                if let saved = state.saved[scope] {
                    guard saved.parameters == parameters else {
                        return Self.error(400, type: "idempotency_error", message: "Keys for idempotent requests can only be used with the same parameters they were first used with.")
                    }
                    var response = Self.json(saved.status, saved.body)
                    response.headers[HTTPField.Name("Idempotent-Replayed")!] = "true"
                    return response
                }
                if state.inFlight.contains(scope) {
                    return Self.error(409, type: "invalid_request_error", message: "There is currently another in-progress request using this Idempotent Key.")
                }
                state.inFlight.insert(scope)
                return nil
            }
            if let existing { return existing }
        }
        defer { if let scope { _ = state.withLock { $0.inFlight.remove(scope) } } }
        if let delay { try? await Task.sleep(for: delay) }
        let form = Dictionary(pairs, uniquingKeysWith: { _, last in last })
        let (status, body): (Int, String)
        if let injected = state.withLock({ $0.injected.isEmpty ? nil : $0.injected.removeFirst() }) {
            status = injected.status
            body = Self.errorBody(type: injected.type, message: injected.message)
            if injected.saved, let scope { state.withLock { $0.saved[scope] = Saved(parameters: parameters, status: status, body: body) } }
        } else {
            (status, body) = create(form)
            if let scope { state.withLock { $0.saved[scope] = Saved(parameters: parameters, status: status, body: body) } }
        }
        return Self.json(status, body)
    }

    private func next(_ prefix: String) -> String {
        state.withLock { state in
            state.counter += 1
            return "\(prefix)_test_\(String(format: "%06d", state.counter))"
        }
    }

    @Sendable private func createSession(_ form: [String: String]) -> (Int, String) {
        guard form["mode"] == "payment" else { return (400, Self.errorBody(type: "invalid_request_error", message: "Missing required param: mode.", param: "mode")) }
        guard form["success_url"] != nil else {
            return (400, Self.errorBody(type: "invalid_request_error", message: "Missing required param: success_url.", param: "success_url"))
        }
        var total: Int64 = 0
        var index = 0
        var currency: String?
        while let quantity = form["line_items[\(index)][quantity]"].flatMap(Int64.init) {
            guard let amount = form["line_items[\(index)][price_data][unit_amount]"].flatMap(Int64.init),
                  let lineCurrency = form["line_items[\(index)][price_data][currency]"], lineCurrency == lineCurrency.lowercased(),
                  form["line_items[\(index)][price_data][product_data][name]"] != nil else {
                return (400, Self.errorBody(type: "invalid_request_error", message: "Invalid line_items[\(index)]", param: "line_items[\(index)]"))
            }
            total += amount * quantity
            currency = lineCurrency
            index += 1
        }
        guard index > 0, index <= 100 else { return (400, Self.errorBody(type: "invalid_request_error", message: "line_items must hold 1 to 100 items", param: "line_items")) }
        // Stripe's special case: ISK is two-decimal in its API, and only whole krónur are charged.
        if currency == "isk", total % 100 != 0 {
            return (400, Self.errorBody(type: "invalid_request_error", message: "Invalid amount. Currency ISK has become effectively zero-decimal and charged amounts must be evenly divisible by 100.", param: "amount"))
        }
        let now = clock.now().milliseconds / 1000
        if let expires = form["expires_at"].flatMap(Int64.init), expires < now + 1800 || expires > now + 86400 {
            return (400, Self.errorBody(type: "invalid_request_error", message: "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.", param: "expires_at"))
        }
        let id = next("cs")
        let session: [String: String] = [
            "id": id, "currency": currency ?? "eur", "amount_total": String(total), "client_reference_id": form["client_reference_id"] ?? "",
            "order_id": form["metadata[order_id]"] ?? "", "expires_at": form["expires_at"] ?? String(now + 86400),
        ]
        state.withLock { $0.sessions[id] = session }
        return (200, Self.sessionJSON(session, status: "open", paymentStatus: "unpaid", paymentIntent: nil, url: "https://checkout.stripe.test/c/pay/\(id)"))
    }

    @Sendable private func createRefund(_ form: [String: String]) -> (Int, String) {
        guard let intent = form["payment_intent"] ?? form["charge"] else {
            return (400, Self.errorBody(type: "invalid_request_error", message: "One of `charge` or `payment_intent` is required.", param: "payment_intent"))
        }
        let id = next("re")
        let amount = form["amount"] ?? "0"
        return (200, #"{"id":"\#(id)","object":"refund","amount":\#(amount),"payment_intent":"\#(intent)","status":"succeeded","currency":"eur"}"#)
    }

    /// A Connect transfer. `acct_closed` cannot receive transfers, as a connected account whose
    /// capabilities were removed.
    @Sendable private func createTransfer(_ form: [String: String]) -> (Int, String) {
        guard let amount = form["amount"].flatMap(Int64.init), amount > 0 else {
            return (400, Self.errorBody(type: "invalid_request_error", message: "Invalid positive integer", param: "amount"))
        }
        guard let currency = form["currency"], currency.count == 3, currency == currency.lowercased() else {
            return (400, Self.errorBody(type: "invalid_request_error", message: "Invalid currency", param: "currency"))
        }
        guard let destination = form["destination"], destination.hasPrefix("acct_") else {
            return (400, Self.errorBody(type: "invalid_request_error", message: "No such destination", param: "destination"))
        }
        if destination == "acct_closed" {
            return (400, Self.errorBody(type: "invalid_request_error", message: "Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments", param: "destination"))
        }
        let id = next("tr")
        let group = form["transfer_group"].map { "\"\($0)\"" } ?? "null"
        let payout = form["metadata[payout_id]"].map { #"{"payout_id":"\#($0)"}"# } ?? "{}"
        return (200, #"{"id":"\#(id)","object":"transfer","amount":\#(amount),"currency":"\#(currency)","destination":"\#(destination)","transfer_group":\#(group),"metadata":\#(payout),"reversed":false,"amount_reversed":0}"#)
    }

    // MARK: Events

    /// A signed Stripe event, as Stripe would POST it to the platform's `/webhooks/stripe`.
    package func event(id: String? = nil, type: String, object: String, secret: String = FakeStripe.webhookSecret) -> (body: ByteBuffer, headers: HTTPFields, payload: String, header: String) {
        let eventID = id ?? next("evt")
        let created = clock.now().milliseconds / 1000
        let payload = #"{"id":"\#(eventID)","object":"event","api_version":"2024-06-20","created":\#(created),"livemode":false,"type":"\#(type)","data":{"object":\#(object)},"request":{"id":null,"idempotency_key":null}}"#
        let header = "t=\(created),v1=\(TimestampedSignature.sign(body: Data(payload.utf8), secret: secret, timestamp: created))"
        return (ByteBuffer(string: payload), [HTTPField.Name("Stripe-Signature")!: header, .contentType: "application/json"], payload, header)
    }

    /// The session as `checkout.session.completed` (or `.expired`, `.async_payment_*`) carries it.
    package func sessionObject(_ id: String, paymentStatus: String, status: String = "complete", amount: Int64? = nil) -> String {
        let session = state.withLock { $0.sessions[id] } ?? [:]
        var copy = session
        if let amount { copy["amount_total"] = String(amount) }
        return Self.sessionJSON(copy, status: status, paymentStatus: paymentStatus, paymentIntent: paymentStatus == "paid" ? "pi_for_\(id)" : nil, url: nil)
    }

    package static func sessionJSON(_ s: [String: String], status: String, paymentStatus: String, paymentIntent: String?, url: String?) -> String {
        let intent = paymentIntent.map { "\"\($0)\"" } ?? "null"
        let link = url.map { "\"\($0)\"" } ?? "null"
        return #"{"id":"\#(s["id"] ?? "")","object":"checkout.session","url":\#(link),"status":"\#(status)","payment_status":"\#(paymentStatus)","amount_total":\#(s["amount_total"] ?? "0"),"currency":"\#(s["currency"] ?? "eur")","payment_intent":\#(intent),"client_reference_id":"\#(s["client_reference_id"] ?? "")","metadata":{"order_id":"\#(s["order_id"] ?? "")"},"expires_at":\#(s["expires_at"] ?? "0")}"#
    }

    package static func errorBody(type: String, message: String, param: String? = nil) -> String {
        let paramJSON = param.map { "\"\($0)\"" } ?? "null"
        return #"{"error":{"type":"\#(type)","code":null,"message":"\#(message)","param":\#(paramJSON),"decline_code":null}}"#
    }

    package static func error(_ status: Int, type: String, message: String) -> Response { json(status, errorBody(type: type, message: message)) }

    package static func json(_ status: Int, _ body: String) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "application/json", HTTPField.Name("Request-Id")!: "req_fake"],
                 body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
