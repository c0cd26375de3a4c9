import Foundation
import Platform
import PlatformTesting
import Testing

@Suite struct FileMailerTests {
    func rendered(title: String) async throws -> MailMessage {
        try await OutboxFixture.composer().compose(.orderConfirmation, to: "ada@example.com", content: OutboxFixture.content(title: title),
                                                   idempotencyKey: "order-paid-ord_1")
    }

    @Test func templatesEscapeWhatUsersWroteInHTMLOnly() async throws {
        let hostile = #"<script>alert("x")</script> & Friends"#
        let mail = try await rendered(title: hostile)
        #expect(!mail.html.contains("<script>"))
        #expect(mail.html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Friends"))
        #expect(mail.text.contains(hostile), "the text part shows the title as written")
        #expect(mail.subject == "Your tickets for " + hostile)
        #expect(mail.html.contains(#"<img src="cid:qr-1""#) && mail.html.contains(#"<img src="cid:qr-2""#))
        #expect(mail.attachments.map(\.contentID) == ["qr-1", "qr-2"])
        #expect(mail.attachments.first?.content == Array("stamp:token-1".utf8))
        #expect(mail.text.hasPrefix("Hello Ada,"), "the pragma line leaves no blank line behind")
        #expect(mail.from.name == "Hall & Co" && mail.replyTo == "office@hall.example" && mail.tags == ["kind": "order_confirmation"])
    }

    @Test func aMessageBecomesAnEmlFileThatPythonsEmailPackageReads() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eml-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let title = "Frühlingskonzert — Saal \"A\"\r\nBcc: evil@example.com"
        let mail = try await rendered(title: title)
        let mailer = FileMailer(directory: directory, clock: ManualClock())
        let receipt = try await mailer.send(mail)
        let again = try await mailer.send(mail)
        #expect(receipt == again)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(files == ["order-paid-ord_1.eml"], "one file per idempotency key, no partial files left")

        let script = """
            import email, json, sys
            from email import policy
            msg = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=policy.default)
            parts = [(p.get_content_type(), p.get('Content-ID'), p.get_content_disposition()) for p in msg.walk()]
            body = msg.get_body(preferencelist=('html',))
            text = msg.get_body(preferencelist=('plain',))
            images = {p['Content-ID']: p.get_content().decode() for p in msg.walk() if p.get_content_type() == 'image/png'}
            print(json.dumps({"subject": str(msg['Subject']), "from": str(msg['From']), "to": str(msg['To']),
                              "reply_to": str(msg['Reply-To']), "bcc": msg['Bcc'], "parts": parts,
                              "html_has_cid": 'cid:qr-1' in body.get_content(), "text": text.get_content(), "images": images,
                              "defects": [str(d) for p in msg.walk() for d in p.defects]}))
            """
        guard let (status, output) = try await TestPython.run(["-c", script, directory.appendingPathComponent(files[0]).path]) else { return }
        #expect(status == 0)
        let parsed = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
        #expect(parsed["subject"] as? String == "Your tickets for Frühlingskonzert — Saal \"A\" Bcc: evil@example.com")
        #expect(parsed["bcc"] is NSNull, "a line break in a title cannot add a header")
        #expect(parsed["from"] as? String == "Hall & Co <tickets@platform.example>")
        #expect(parsed["to"] as? String == "ada@example.com" && parsed["reply_to"] as? String == "office@hall.example")
        let parts = try #require(parsed["parts"] as? [[Any]])
        #expect(parts.map { $0[0] as? String } == ["multipart/related", "multipart/alternative", "text/plain", "text/html", "image/png", "image/png"])
        #expect(parts[4][1] as? String == "<qr-1>" && parts[4][2] as? String == "inline")
        #expect(parsed["html_has_cid"] as? Bool == true)
        #expect((parsed["text"] as? String)?.contains("Frühlingskonzert") == true)
        #expect(parsed["images"] as? [String: String] == ["<qr-1>": "stamp:token-1", "<qr-2>": "stamp:token-2"])
        #expect((parsed["defects"] as? [String])?.isEmpty == true)
    }
}
