import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import PluginKit
import Synchronization

/// Sends through Resend's `POST /emails`: one attempt per call, under the message's
/// Idempotency-Key; the outbox decides about retries from the `MailError` this returns.
public struct ResendMailer: Mailer {
    public let name = "resend"
    let configuration: ResendConfiguration
    let http: HTTPClient
    let pacer: Pacer
    let logger: Logger

    public init(configuration: ResendConfiguration, http: HTTPClient = .shared, logger: Logger) {
        self.configuration = configuration
        self.http = http
        self.pacer = Pacer(perSecond: configuration.requestsPerSecond)
        self.logger = logger
    }

    public func send(_ message: MailMessage) async throws(MailError) -> MailReceipt {
        let body: Data
        do {
            // Sorted keys: a retry must send the same bytes, or Resend takes it for another payload under the key.
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            body = try encoder.encode(ResendEmail(message))
        } catch {
            throw .permanent("cannot encode the email: \(error)")
        }
        var request = HTTPClientRequest(url: configuration.apiBase + "/emails")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(configuration.apiKey)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Idempotency-Key", value: String(message.idempotencyKey.prefix(256)))
        request.body = .bytes(ByteBuffer(data: body))
        await pacer.wait()
        let status: Int
        let answer: Data
        let retryAfter: Int64?
        do {
            let response = try await http.execute(request, timeout: .seconds(Int64(configuration.requestTimeout.components.seconds)))
            status = Int(response.status.code)
            retryAfter = response.headers.first(name: "retry-after").flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
            answer = Data(buffer: try await response.body.collect(upTo: 1 << 20))
        } catch {
            // Never the request in the message: it carries the API key.
            logger.warning("Resend request failed", metadata: ["error": "\(type(of: error))"])
            throw .retryable("Resend could not be reached (\(type(of: error)))")
        }
        if (200..<300).contains(status) {
            guard let sent = try? JSONDecoder().decode(Sent.self, from: answer) else {
                throw .retryable("Resend answered \(status) without an email id")
            }
            return MailReceipt(messageID: sent.id)
        }
        throw Self.classify(status: status, body: answer, retryAfter: retryAfter)
    }

    struct Sent: Decodable { let id: String }

    struct Failure: Decodable {
        let name: String?
        let message: String?
    }

    /// Resend's answer as a retry decision, with its error name and message (never the key).
    static func classify(status: Int, body: Data, retryAfter: Int64?) -> MailError {
        let failure = try? JSONDecoder().decode(Failure.self, from: body)
        let reason = "Resend \(status) \(failure?.name ?? "error"): \(failure?.message ?? "no message")"
        switch status {
        case 429: return .retryable(reason, retryAfterSeconds: retryAfter)
        case 409 where failure?.name == "concurrent_idempotent_requests": return .retryable(reason, retryAfterSeconds: retryAfter ?? 1)
        // A key bound to another message, or content Resend refuses: sending it again cannot help.
        case 400, 409, 413, 422: return .permanent(reason)
        // A missing or wrong API key or sender: the operator fixes the configuration and the retries go through.
        case 401, 403: return .retryable(reason, retryAfterSeconds: retryAfter)
        default: return .retryable(reason, retryAfterSeconds: retryAfter)
        }
    }
}

/// The JSON body of `POST /emails`.
struct ResendEmail: Encodable {
    struct Tag: Encodable { let name: String, value: String }
    struct Attachment: Encodable {
        let filename: String
        let content: String
        let contentType: String
        let contentID: String?
        enum CodingKeys: String, CodingKey { case filename, content, contentType = "content_type", contentID = "content_id" }
    }

    let from: String
    let to: [String]
    let subject: String
    let html: String
    let text: String
    let replyTo: String?
    let tags: [Tag]
    let attachments: [Attachment]

    enum CodingKeys: String, CodingKey { case from, to, subject, html, text, replyTo = "reply_to", tags, attachments }

    init(_ message: MailMessage) {
        from = message.from.formatted
        to = message.to
        subject = message.subject
        html = message.html
        text = message.text
        replyTo = message.replyTo
        // Tag names and values may hold only ASCII letters, digits, `_` and `-`.
        tags = message.tags.sorted { $0.key < $1.key }.map {
            Tag(name: $0.key.mailIdentifier(maxLength: 256), value: $0.value.mailIdentifier(maxLength: 256))
        }
        attachments = message.attachments.map {
            Attachment(filename: $0.filename, content: Data($0.content).base64EncodedString(), contentType: $0.contentType, contentID: $0.contentID)
        }
    }
}

/// Spaces sends evenly so a burst of queued mail stays under the provider's rate limit.
final class Pacer: Sendable {
    let interval: Duration
    private let next = Mutex<ContinuousClock.Instant?>(nil)

    init(perSecond: Int) { interval = .seconds(1) / max(perSecond, 1) }

    func wait() async {
        let clock = ContinuousClock()
        let slot = next.withLock { next -> ContinuousClock.Instant in
            let start = max(clock.now, next ?? clock.now)
            next = start + interval
            return start
        }
        if slot > clock.now { try? await Task.sleep(until: slot, clock: clock) }
    }
}
