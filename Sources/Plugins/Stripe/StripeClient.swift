import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import PluginKit

/// Calls Stripe's API: form-encoded POSTs with the secret key, a pinned version and an idempotency
/// key; 409, 429, 5xx and network failures are retried with backoff under the same key.
struct StripeClient: Sendable {
    let configuration: StripeConfiguration
    let http: HTTPClient
    let logger: Logger

    struct ErrorBody: Decodable {
        struct Detail: Decodable {
            let type: String?
            let code: String?
            let message: String?
            let declineCode: String?
            enum CodingKeys: String, CodingKey { case type, code, message, declineCode = "decline_code" }
        }
        let error: Detail
    }

    func post<T: Decodable>(_ path: String, _ parameters: FormParameters, idempotencyKey: String, as type: T.Type) async throws -> T {
        var attempt = 0
        var timedOut = false
        while true {
            attempt += 1
            let outcome = await send(path, parameters, idempotencyKey: idempotencyKey)
            switch outcome {
            case let .success(status, body) where (200..<300).contains(status):
                do {
                    return try JSONDecoder().decode(T.self, from: body)
                } catch {
                    throw ProviderError.providerError("Stripe answered \(path) with an unreadable body")
                }
            case let .success(status, body):
                var error = Self.classify(status: status, body: body)
                // After an attempt that timed out, "in progress" means Stripe is still working on it: slow, not a conflict.
                if status == 409 && timedOut { error = .unavailable("Stripe did not answer in time") }
                guard Self.isRetryable(status: status), attempt <= configuration.maxRetries else { throw error }
            case let .failure(error):
                timedOut = true
                guard attempt <= configuration.maxRetries else { throw error }
            }
            try await Task.sleep(for: configuration.retryBaseDelay * (1 << (attempt - 1)))
        }
    }

    enum Outcome {
        case success(Int, Data)
        case failure(ProviderError)
    }

    private func send(_ path: String, _ parameters: FormParameters, idempotencyKey: String) async -> Outcome {
        var request = HTTPClientRequest(url: configuration.apiBase + path)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(configuration.secretKey)")
        request.headers.add(name: "Stripe-Version", value: configuration.apiVersion)
        request.headers.add(name: "Idempotency-Key", value: idempotencyKey)
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: parameters.encoded))
        do {
            let timeout = TimeAmount.nanoseconds(Int64(configuration.requestTimeout.components.seconds) * 1_000_000_000
                                                 + configuration.requestTimeout.components.attoseconds / 1_000_000_000)
            let response = try await http.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: 4 << 20)
            return .success(Int(response.status.code), Data(buffer: body))
        } catch {
            // Never the request itself in the message: it carries the secret key.
            logger.warning("Stripe request failed", metadata: ["path": "\(path)", "error": "\(type(of: error))"])
            return .failure(.unavailable("Stripe could not be reached (\(type(of: error)))"))
        }
    }

    static func isRetryable(status: Int) -> Bool { status == 409 || status == 429 || status >= 500 }

    /// Stripe's answer in the shared vocabulary, keeping its message (never the key).
    static func classify(status: Int, body: Data) -> ProviderError {
        let detail = (try? JSONDecoder().decode(ErrorBody.self, from: body))?.error
        let message = detail?.message ?? "Stripe answered \(status)"
        switch (status, detail?.type) {
        case (402, _), (_, "card_error"): return .declined(detail?.declineCode.map { "\(message) (\($0))" } ?? message)
        case (429, _): return .rateLimited(message)
        case (409, _): return .conflict(message)
        case (401, _), (403, _): return .providerError("Stripe refused the platform's API key")
        case (400..<500, _): return .invalidRequest(message)
        case (503, _): return .unavailable(message)
        default: return .providerError(message)
        }
    }
}
