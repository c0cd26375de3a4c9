import Foundation
import HTTPTypes
import Hummingbird
import Platform
import Synchronization

/// A local Resend with the real wire format of `POST /emails`: Bearer key, JSON body, Resend's
/// error bodies (`{statusCode, name, message}`), and the idempotency window (a replay of a key
/// answers the same id and sends nothing; another body under the key is 409
/// `invalid_idempotent_request`; a key still in flight is 409 `concurrent_idempotent_requests`).
/// Tests inject failures and delays, and read what was delivered.
package final class FakeResend: Sendable {
    package static let apiKey = "re_test_fake_0123456789"
    package static let idempotencyWindowMilliseconds: Int64 = 24 * 3600 * 1000

    package struct Injected: Sendable {
        let status: Int
        let name: String
        let message: String
        let retryAfter: Int?
    }

    /// One accepted email, as a mail client would get it.
    package struct Delivery: Sendable {
        package let id: String
        package let idempotencyKey: String?
        package let json: [String: any Sendable]
        package var to: [String] { json["to"] as? [String] ?? [] }
        package var subject: String? { json["subject"] as? String }
    }

    struct Saved: Sendable {
        let body: Data
        let id: String
        let at: Int64
    }

    struct State: Sendable {
        var injected: [Injected] = []
        var saved: [String: Saved] = [:]
        var inFlight: Set<String> = []
        var deliveries: [Delivery] = []
        var requests = 0
        var requestsByKey: [String: Int] = [:]
        var downUntil: Int64?
        var delay: Duration?
        var counter = 0
    }

    let clock: any WallClock
    private let state = Mutex(State())

    package init(clock: any WallClock = SystemClock()) { self.clock = clock }

    package func inject(_ status: Int, name: String, message: String, retryAfter: Int? = nil, times: Int = 1) {
        state.withLock { $0.injected += Array(repeating: Injected(status: status, name: name, message: message, retryAfter: retryAfter), count: times) }
    }

    /// Answers every request 500 `application_error` until `time` on the fake's clock (an outage).
    package func down(until time: Timestamp) { state.withLock { $0.downUntil = time.milliseconds } }

    /// Holds every answer this long after the email is accepted (a provider slower than its caller's patience).
    package func delay(_ duration: Duration?) { state.withLock { $0.delay = duration } }

    package var deliveries: [Delivery] { state.withLock { $0.deliveries } }
    package var requestCount: Int { state.withLock { $0.requests } }
    /// Requests per idempotency key, accepted or not: how often the platform tried each email.
    package var requestsByKey: [String: Int] { state.withLock { $0.requestsByKey } }
    /// Deliveries per idempotency key.
    package var deliveriesByKey: [String: Int] {
        state.withLock { Dictionary($0.deliveries.compactMap { $0.idempotencyKey }.map { ($0, 1) }, uniquingKeysWith: +) }
    }

    /// Serves until `body` returns, with the fake's base URL.
    package func serving<T: Sendable>(_ body: @escaping @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("emails") { request, _ in try await self.handle(request) }
        return try await servingLocally(router, name: "the fake Resend", body)
    }

    private func handle(_ request: Request) async throws -> Response {
        let body = Data(buffer: try await request.body.collect(upTo: 40 << 20))
        state.withLock { $0.requests += 1 }
        guard let authorization = request.headers[.authorization] else {
            return Self.error(401, "missing_api_key", "Missing API key in the authorization header. Include the following header in the request: Authorization: Bearer YOUR_API_KEY")
        }
        guard authorization == "Bearer \(Self.apiKey)" else { return Self.error(403, "invalid_api_key", "API key is invalid") }
        let key = request.headers[HTTPField.Name("Idempotency-Key")!]
        if let key, !(1...256).contains(key.count) {
            return Self.error(400, "invalid_idempotency_key", "The key must be between 1-256 chars.")
        }
        let now = clock.now().milliseconds
        if let until = state.withLock({ $0.downUntil }), now < until {
            if let key { state.withLock { $0.requestsByKey[key, default: 0] += 1 } }
            return Self.error(500, "application_error", "Something went wrong")
        }
        if let key {
            state.withLock { $0.requestsByKey[key, default: 0] += 1 }
            let earlier: Response? = state.withLock { state in
                if let saved = state.saved[key], now - saved.at < Self.idempotencyWindowMilliseconds {
                    guard saved.body == body else {
                        return Self.error(409, "invalid_idempotent_request", "Same idempotency key used with a different request payload. Change your idempotency key or payload.")
                    }
                    return Self.json(200, #"{"id":"\#(saved.id)"}"#)
                }
                if state.inFlight.contains(key) {
                    return Self.error(409, "concurrent_idempotent_requests", "Same idempotency key used while original request is still in progress. Try the request again later.")
                }
                state.inFlight.insert(key)
                return nil
            }
            if let earlier { return earlier }
        }
        defer { if let key { _ = state.withLock { $0.inFlight.remove(key) } } }
        if let injected = state.withLock({ $0.injected.isEmpty ? nil : $0.injected.removeFirst() }) {
            var response = Self.error(injected.status, injected.name, injected.message)
            if let after = injected.retryAfter { response.headers[HTTPField.Name("retry-after")!] = String(after) }
            return response
        }
        guard let json = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            return Self.error(422, "validation_error", "Invalid JSON body")
        }
        if let problem = Self.validate(json) { return problem }
        let id = state.withLock { state -> String in
            state.counter += 1
            let id = String(format: "4ef9a417-02e9-4d39-ad75-%012d", state.counter)
            state.deliveries.append(Delivery(id: id, idempotencyKey: key, json: json.mapValues { Self.sendable($0) }))
            if let key { state.saved[key] = Saved(body: body, id: id, at: now) }
            return id
        }
        if let delay = state.withLock({ $0.delay }) { try? await Task.sleep(for: delay) }
        return Self.json(200, #"{"id":"\#(id)"}"#)
    }

    /// Resend's checks of the fields a send needs.
    static func validate(_ json: [String: Any]) -> Response? {
        for field in ["from", "to", "subject"] where json[field] == nil {
            return error(422, "missing_required_field", "Missing `\(field)` field.")
        }
        guard json["html"] != nil || json["text"] != nil else { return error(422, "missing_required_field", "Missing `html` or `text` field.") }
        let to = (json["to"] as? [String]) ?? (json["to"] as? String).map { [$0] } ?? []
        guard (1...50).contains(to.count) else { return error(422, "validation_error", "Invalid `to` field. The `to` field must contain 1 to 50 addresses.") }
        for address in to where !address.contains("@") || address.hasSuffix("@") || address.hasPrefix("@") {
            return error(422, "validation_error", "Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.")
        }
        for attachment in json["attachments"] as? [[String: Any]] ?? [] {
            guard let content = attachment["content"] as? String, Data(base64Encoded: content) != nil, attachment["filename"] is String else {
                return error(422, "invalid_attachment", "Attachment must have either a `content` or `path`.")
            }
        }
        return nil
    }

    static func sendable(_ value: Any) -> any Sendable {
        switch value {
        case let text as String: text
        case let number as NSNumber: number.int64Value
        case let list as [Any]: list.map { sendable($0) }
        case let object as [String: Any]: object.mapValues { sendable($0) }
        default: "\(value)"
        }
    }

    static func json(_ status: Int, _ body: String) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func error(_ status: Int, _ name: String, _ message: String) -> Response {
        let body = try! JSONSerialization.data(withJSONObject: ["statusCode": status, "name": name, "message": message], options: [.sortedKeys])
        return json(status, String(decoding: body, as: UTF8.self))
    }
}
