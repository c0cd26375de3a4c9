import Foundation
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing

/// The server's own mail worker, not a test's `drain()`: queued mail goes out while the
/// application runs, and an admin's replay is sent without waiting for a poll.
@Suite struct MailWorkerTests {
    @Test(arguments: TestEngines.all)
    func theRunningServerSendsQueuedAndReplayedMail(engine: DatabaseEngine) async throws {
        let mailer = ScriptedMailer()
        let mail = MailSetup(mailer: mailer, composer: try await OutboxFixture.composer())
        try await CheckoutHarness.run(engine, mail: mail) { h in
            let services = h.platform
            let worker = try #require(services.workers.first { ($0 as? QueueWorker)?.name == "mail" })
            let app = Application(router: buildRouter(services), configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                  services: [worker], logger: quietLogger)
            try await app.test(.live) { raw in
                let client = APITestClient(raw)
                try await OutboxFixture.enqueue(services.database, key: "live-1", at: h.clock.now())
                #expect(try await eventually { mailer.deliveries["live-1"] == 1 })

                mailer.fail(with: [.permanent("422 validation_error")])
                let dead = try await OutboxFixture.enqueue(services.database, key: "live-2", at: h.clock.now())
                #expect(try await eventually { try await OutboxFixture.find(services.database, dead)?.status == .dead })
                let replay = try await client.post("/api/v1/admin/outbox/\(dead)/replay", key: h.adminKey, json: "")
                #expect(replay.status == .accepted)
                #expect(try await eventually { mailer.deliveries["live-2"] == 1 })
            }
        }
    }

    /// Polls for up to five seconds: the worker runs on its own schedule (woken, or once a second).
    func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<100 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}

@Suite struct TemplateTests {
    @Test func everyKindRendersWithoutLeftoverTags() async throws {
        let composer = try await OutboxFixture.composer()
        let models: [MailKind: String] = [
            .orderConfirmation: OutboxFixture.confirmationModel(),
            .refundNotice: #"{"organizer":{"name":"Hall"},"buyer":{"name":"Ada"},"event":{"title":"Gala"},"order":{"id":"ord_1","total":"50.00 EUR"},"refund":{"amount":"10.00 EUR","refunded":"10.00 EUR","full":false}}"#,
            .magicLink: #"{"link":"https://tickets.example/my-tickets?token=t","valid_minutes":30}"#,
            .payoutNotice: #"{"organizer":{"name":"Hall"},"payout":{"amount":"950.00 EUR","id":"po_1","provider":"paypal","until":"2026-06-01"}}"#,
            .payoutMethodChanged: #"{"organizer":{"name":"Hall"},"method":{"provider":"stripe","account":"acct_2","changed":"1 June 2026 (UTC)"},"previous":{"provider":"stripe","account":"acct_1"}}"#,
            .webhookEndpointDisabled: #"{"organizer":{"name":"Hall"},"endpoint":{"id":"we_1","url":"https://hooks.example/in","reason":"it answered 410 Gone"}}"#,
            .memberInvitation: #"{"link":"https://tickets.example/backoffice/invitation?token=t","organizer":"Hall","role":"door","invited_by":"o@hall.example","valid_days":7}"#,
            .passwordReset: #"{"link":"https://tickets.example/backoffice/password-reset/confirm?token=t","valid_minutes":60}"#,
        ]
        #expect(Set(models.keys) == Set(MailKind.allCases))
        for (kind, model) in models {
            let content = MailContent(sender: MailAddress(email: "t@platform.example", name: "Hall"), replyTo: nil, model: model)
            let mail = try composer.compose(kind, to: "ada@example.com", content: content, idempotencyKey: "k")
            for part in [mail.subject, mail.html, mail.text] {
                #expect(!part.isEmpty && !part.contains("{{") && !part.contains("}}"), "\(kind)")
            }
        }
        let payout = try composer.compose(.payoutNotice, to: "o@hall.example", content: MailContent(
            sender: MailAddress(email: "t@platform.example"), replyTo: nil, model: models[.payoutNotice]!), idempotencyKey: "p")
        #expect(payout.subject == "Payout of 950.00 EUR sent" && payout.text.contains("(po_1) through paypal"))
        let changed = try composer.compose(.payoutMethodChanged, to: "o@hall.example", content: MailContent(
            sender: MailAddress(email: "t@platform.example"), replyTo: nil, model: models[.payoutMethodChanged]!), idempotencyKey: "c")
        #expect(changed.subject == "Your payout method was changed")
        #expect(changed.text.contains("now go to acct_2 through stripe instead of acct_1 through stripe"))
        let invitation = try composer.compose(.memberInvitation, to: "d@hall.example", content: MailContent(
            sender: MailAddress(email: "t@platform.example"), replyTo: nil, model: models[.memberInvitation]!), idempotencyKey: "i")
        #expect(invitation.subject == "You are invited to Hall's back office" && invitation.text.contains("as door"))
    }
}
