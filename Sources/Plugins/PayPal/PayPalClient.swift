import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import PluginKit

/// Calls PayPal's REST API with a bearer token, a `PayPal-Request-Id` (PayPal's idempotency key)
/// and JSON; a 401 drops the token and the call is made once more with a new one.
struct PayPalClient: Sendable {
    let configuration: PayPalConfiguration
    let http: HTTPClient
    let tokens: PayPalTokens

    /// PayPal's error body: `{name, message, debug_id, details: [{field, issue, description}]}`.
    struct ErrorBody: Decodable, Sendable {
        struct Detail: Decodable, Sendable { let issue: String? }
        let name: String?
        let details: [Detail]?
    }

    /// The status and body of `method path`. A 429, a 5xx or an unreachable PayPal is tried again
    /// (`maxRetries` times, after a doubling delay, or `Retry-After` when it asks for at most 5 s;
    /// a longer one is answered as it came): safe, because every call that changes something
    /// carries its `PayPal-Request-Id` or `sender_batch_id`.
    /// - Throws: `ProviderError.unavailable` when PayPal cannot be reached or keeps refusing tokens.
    func send(_ method: HTTPMethod, _ path: String, json: Data? = nil, requestID: String? = nil) async throws -> (status: Int, body: Data) {
        var (attempt, refreshed) = (0, false)
        while true {
            attempt += 1
            let token = try await tokens.token()
            var request = HTTPClientRequest(url: configuration.apiBase + path)
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "Content-Type", value: "application/json")
            if let requestID { request.headers.add(name: "PayPal-Request-Id", value: requestID) }
            if let json { request.body = .bytes(ByteBuffer(data: json)) }
            var wait = configuration.retryBaseDelay * (1 << min(attempt - 1, 8))
            do {
                let response = try await http.execute(request, timeout: .seconds(Int64(configuration.requestTimeout.components.seconds)))
                let status = Int(response.status.code)
                let body = try await response.body.collect(upTo: 4 << 20)
                if status == 401, !refreshed {
                    refreshed = true
                    attempt -= 1
                    await tokens.invalidate(token)
                    continue
                }
                guard status == 429 || status >= 500, attempt <= configuration.maxRetries else { return (status, Data(buffer: body)) }
                if let after = response.headers.first(name: "Retry-After").flatMap(Int.init) {
                    // Longer than a buyer should wait: PayPal's answer stands, and the caller tries later.
                    guard after <= 5 else { return (status, Data(buffer: body)) }
                    wait = .seconds(max(0, after))
                }
            } catch {
                guard attempt <= configuration.maxRetries else { throw ProviderError.unavailable("PayPal could not be reached (\(type(of: error)))") }
            }
            try await Task.sleep(for: wait)
        }
    }

    /// The first `details[].issue` of an error answer, else its `name`.
    static func issue(of body: Data) -> String? {
        let error = try? JSONDecoder().decode(ErrorBody.self, from: body)
        return error?.details?.first?.issue ?? error?.name
    }

    /// The shared error vocabulary for a PayPal error answer, from its status, `name` and first
    /// `details[].issue` (never its message, which may quote the request).
    static func classify(status: Int, body: Data) -> ProviderError {
        let issue = issue(of: body) ?? "HTTP \(status)"
        switch status {
        case 429: return .rateLimited("PayPal: \(issue)")
        case 500...: return .unavailable("PayPal: \(issue)")
        case 409: return .conflict("PayPal: \(issue)")
        case 422 where ["INSTRUMENT_DECLINED", "PAYER_ACTION_REQUIRED", "TRANSACTION_REFUSED"].contains(issue): return .declined("PayPal: \(issue)")
        case 401, 403: return .providerError("PayPal: \(issue)")
        default: return .invalidRequest("PayPal: \(issue)")
        }
    }
}

extension PayPalClient {
    /// Asks `POST /v1/notifications/verify-webhook-signature` whether PayPal signed `event` (the
    /// raw body, passed on as it came) for `webhookID`; true when it answers `SUCCESS`.
    /// - Throws: `ProviderError` when PayPal cannot answer (the delivery is refused and PayPal retries it).
    func verifiedByPayPal(_ transmission: PayPalWebhookVerifier.Transmission, event: Data, webhookID: String) async throws -> Bool {
        struct Head: Encodable {
            let authAlgo: String, certUrl: String, transmissionId: String, transmissionSig: String, transmissionTime: String, webhookId: String
        }
        let head = try JSONCoding.encoder.encode(Head(
            authAlgo: transmission.algorithm, certUrl: transmission.certificateURL, transmissionId: transmission.id,
            transmissionSig: transmission.signature, transmissionTime: transmission.time, webhookId: webhookID))
        // The event goes as received: re-encoding it would change what was signed.
        var body = head.dropLast()
        body.append(contentsOf: Data(#","webhook_event":"#.utf8))
        body.append(event)
        body.append(contentsOf: Data("}".utf8))
        let (status, data) = try await send(.POST, "/v1/notifications/verify-webhook-signature", json: Data(body))
        guard status == 200 else {
            if (400..<500).contains(status), status != 429, status != 401 { return false }
            throw Self.classify(status: status, body: data)
        }
        struct Answer: Decodable { let verificationStatus: String }
        return (try? JSONCoding.decoder.decode(Answer.self, from: data))?.verificationStatus == "SUCCESS"
    }
}
