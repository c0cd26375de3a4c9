import AsyncHTTPClient
import Foundation
import Platform
import PlatformTesting
import Resend
import Testing

@Suite struct ResendTests {
    static func mailer(_ base: String, rate: Int = 1000) -> ResendMailer {
        var configuration = ResendConfiguration(apiKey: FakeResend.apiKey)
        configuration.apiBase = base
        configuration.requestsPerSecond = rate
        configuration.requestTimeout = .seconds(2)
        return ResendMailer(configuration: configuration, logger: quietLogger)
    }

    static func message(key: String = "order-confirmation-ord_1", to: String = "ada@example.com") -> MailMessage {
        MailMessage(from: MailAddress(email: "tickets@platform.example", name: "Hall & Co"), to: [to], replyTo: "office@hall.example",
                    subject: "Your tickets", html: #"<img src="cid:qr-1">"#, text: "Ticket", tags: ["kind": "order_confirmation"],
                    attachments: [MailAttachment(filename: "ticket-1.png", contentType: "image/png", content: [0x89, 0x50, 0x4e, 0x47], contentID: "qr-1")],
                    idempotencyKey: key)
    }

    @Test func theMailerSpeaksResendsWireFormat() async throws {
        let fake = FakeResend()
        try await fake.serving { base in
            let receipt = try await Self.mailer(base).send(Self.message())
            let again = try await Self.mailer(base).send(Self.message())
            #expect(receipt == again, "a replay under the key answers the same id")
            #expect(fake.deliveries.count == 1 && fake.requestCount == 2)
            let sent = try #require(fake.deliveries.first)
            #expect(sent.idempotencyKey == "order-confirmation-ord_1" && receipt.messageID == sent.id)
            #expect(sent.json["from"] as? String == #""Hall & Co" <tickets@platform.example>"#)
            #expect(sent.to == ["ada@example.com"] && sent.json["reply_to"] as? String == "office@hall.example")
            #expect(sent.json["text"] as? String == "Ticket" && (sent.json["html"] as? String)?.contains("cid:qr-1") == true)
            let tags = try #require(sent.json["tags"] as? [any Sendable])
            #expect((tags.first as? [String: any Sendable])?["name"] as? String == "kind")
            let attachment = try #require((sent.json["attachments"] as? [any Sendable])?.first as? [String: any Sendable])
            #expect(attachment["content_id"] as? String == "qr-1" && attachment["content_type"] as? String == "image/png")
            #expect(attachment["content"] as? String == Data([0x89, 0x50, 0x4e, 0x47]).base64EncodedString())
        }
    }

    @Test func resendsErrorsBecomeRetryOrDeadDecisions() async throws {
        let fake = FakeResend()
        try await fake.serving { base in
            let mailer = Self.mailer(base)
            fake.inject(500, name: "application_error", message: "Something went wrong")
            await #expect(throws: MailError.retryable("Resend 500 application_error: Something went wrong")) { try await mailer.send(Self.message(key: "a")) }
            fake.inject(429, name: "rate_limit_exceeded", message: "Too many requests", retryAfter: 7)
            await #expect(throws: MailError.retryable("Resend 429 rate_limit_exceeded: Too many requests", retryAfterSeconds: 7)) {
                try await mailer.send(Self.message(key: "b"))
            }
            await #expect(throws: MailError.permanent("Resend 422 validation_error: Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.")) {
                try await mailer.send(Self.message(key: "c", to: "not-an-address"))
            }
            // The same key with another message: sending it again cannot help.
            _ = try await mailer.send(Self.message(key: "d"))
            let reused = await Self.failure { () async throws(MailError) in try await mailer.send(Self.message(key: "d", to: "bob@example.com")) }
            #expect(reused == .permanent("Resend 409 invalid_idempotent_request: Same idempotency key used with a different request payload. Change your idempotency key or payload."))
            let wrongKey = ResendMailer(configuration: { var c = ResendConfiguration(apiKey: "re_wrong"); c.apiBase = base; return c }(), logger: quietLogger)
            if case .retryable? = await Self.failure({ () async throws(MailError) in try await wrongKey.send(Self.message(key: "e")) }) {} else {
                Issue.record("a wrong API key is retried once the operator fixes it")
            }
            let unreachable = Self.mailer("http://127.0.0.1:1")
            if case .retryable? = await Self.failure({ () async throws(MailError) in try await unreachable.send(Self.message(key: "f")) }) {} else {
                Issue.record("an unreachable Resend is retried")
            }
            #expect(fake.deliveries.map(\.idempotencyKey) == ["d"])
        }
    }

    static func failure(_ body: () async throws(MailError) -> MailReceipt) async -> MailError? {
        do { _ = try await body(); return nil } catch { return error }
    }

    @Test func theOfficialSDKIsUnderstoodByTheFake() async throws {
        let fake = FakeResend()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/resend_fidelity.py").path
        try await fake.serving { base in
            guard let (status, output) = try await TestPython.run([script, base, FakeResend.apiKey]) else { return }
            #expect(status == 0, "\(String(decoding: output, as: UTF8.self))")
            let result = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
            #expect(result["first"] as? String != nil && result["first"] as? String == result["again"] as? String)
            let error = try #require(result["error"] as? [String: Any])
            #expect(error["code"] as? Int == 422 && error["type"] as? String == "missing_required_field")
            #expect(fake.deliveries.count == 1)
            let attachment = try #require((fake.deliveries.first?.json["attachments"] as? [any Sendable])?.first as? [String: any Sendable])
            #expect(attachment["content_id"] as? String == "qr-1")
        }
    }

    @Test func theConfigurationComesFromTheEnvironment() throws {
        func fromEnvironment(_ environment: [String: String]) throws -> PluginSetup<ResendConfiguration> {
            try ResendConfiguration.from(Settings(environment: environment))
        }
        let (off, reason) = (try fromEnvironment([:]).enabled, try fromEnvironment([:]).disabledReason)
        #expect(off == nil && reason == "RESEND_API_KEY is not set")
        let on = try fromEnvironment(["RESEND_API_KEY": "re_x", "RESEND_API_BASE": "http://127.0.0.1:9/", "RESEND_RATE_LIMIT": "10"]).enabled
        #expect(on?.apiKey == "re_x" && on?.apiBase == "http://127.0.0.1:9" && on?.requestsPerSecond == 10)
        #expect(try fromEnvironment(["RESEND_API_KEY": "re_x"]).enabled?.requestsPerSecond == 2)
        #expect(throws: ConfigError.self) { try fromEnvironment(["RESEND_API_KEY": "re_x", "RESEND_RATE_LIMIT": "0"]) }
    }
}
