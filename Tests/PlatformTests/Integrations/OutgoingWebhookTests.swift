import Foundation
import Hummingbird
import Platform
import PlatformTesting
import Testing

/// Outgoing webhooks: signed, each event once per endpoint in order, retried, disabled on 410,
/// refused for private addresses, and private to their organizer.
@Suite struct OutgoingWebhookTests {
    @Test(arguments: TestEngines.all)
    func anOrdersLifeEmitsEachEventOnceInOrderHoweverOftenTheProviderRepeats(engine: DatabaseEngine) async throws {
        let receiver = FakeWebhookReceiver()
        try await receiver.serve { base in
            try await WebhookFixture.run(engine) { h in
                let endpoint = try await WebhookFixture.register(h, url: "\(base)/hooks")
                let placed = try await h.placeOrder(body: h.cart(quantity: 2))
                let order = try #require(placed.orderID)
                for _ in 0..<3 {
                    _ = try await h.deliver(id: "evt-paid", type: "paid", order: order, amount: 5_000, reference: "pay-1")
                    _ = try await h.deliver(id: "evt-paid-again-\(UUID())", type: "paid", order: order, amount: 5_000, reference: "pay-1")
                    await h.drain()
                }
                #expect(try await h.client.post("/api/v1/orders/\(order)/refunds", key: h.organizerKey, json: #"{"amount":1000}"#).status == .accepted)
                _ = try await h.deliver(id: "evt-refund-1", type: "refunded", order: order, amount: 1_000)
                _ = try await h.deliver(id: "evt-refund-1b", type: "refunded", order: order, amount: 1_000)
                await h.drain()
                #expect(try await h.client.post("/api/v1/orders/\(order)/refunds", key: h.organizerKey, json: "{}").status == .accepted)
                _ = try await h.deliver(id: "evt-refund-2", type: "refunded", order: order, amount: 5_000)
                await h.drain()
                try await WebhookFixture.sendAll(h, rounds: 2)

                let got = receiver.received
                #expect(got.map(\.type) == ["order.placed", "order.paid", "order.refunded", "order.refunded"])
                #expect(Set(got.compactMap(\.eventID)).count == 4)
                #expect(got.allSatisfy { $0.path == "/hooks" && $0.headers["content-type"] == "application/json" })
                let data = got.map { $0.json["data"] as? [String: Any] ?? [:] }
                #expect(data.map { $0["id"] as? String } == Array(repeating: order, count: 4))
                #expect(data.map { $0["status"] as? String } == ["pending", "paid", "partially_refunded", "refunded"])
                #expect(data.map { $0["refunded"] as? Int } == [0, 0, 1_000, 5_000])
                #expect(got.allSatisfy { $0.json["organizer_id"] as? String != nil && $0.json["created_at"] as? String != nil })
                for request in got {
                    let header = try #require(request.headers["platform-signature"])
                    #expect(request.headers["platform-event-id"] == request.eventID)
                    try TimestampedSignature.verify(header: header, body: request.body, secrets: [endpoint.secret], now: h.clock.now(),
                                                    tolerance: 86_400 * 30)
                    #expect(throws: WebhookRejected.self) {
                        try TimestampedSignature.verify(header: header, body: request.body + Data(" ".utf8), secrets: [endpoint.secret],
                                                        now: h.clock.now(), tolerance: 86_400 * 30)
                    }
                }
                let deliveries = try await WebhookFixture.deliveries(h)
                #expect(deliveries.count == 4 && deliveries.allSatisfy { $0["status"] as? String == "delivered" })
            }
        }
    }

    /// Payments applied in one inbox batch write their audit entries together and read the
    /// organizer's endpoints once; each order still gets its own entry and its own event.
    @Test(arguments: TestEngines.all)
    func eachPaymentOfABatchIsAuditedAndPublishedOnce(engine: DatabaseEngine) async throws {
        let receiver = FakeWebhookReceiver()
        try await receiver.serve { base in
            try await WebhookFixture.run(engine) { h in
                _ = try await WebhookFixture.register(h, url: "\(base)/hooks", events: #"["order.paid"]"#)
                var orders: [String] = []
                for quantity in 1...3 {
                    let order = try #require(try await h.placeOrder(body: h.cart(quantity: quantity)).orderID)
                    orders.append(order)
                    _ = try await h.deliver(id: "evt-\(order)", type: "paid", order: order, amount: 2_500 * Int64(quantity), reference: "pay-\(order)")
                }
                #expect(await h.drain() == 3)
                #expect(h.platform.inbox.batchesRolledBack == 0, "the three were applied as one batch")
                struct Row: Decodable { let orderId: String, actorKind: String, requestId: String? }
                let entries = try await h.database.read { sql in
                    try await sql.raw("SELECT order_id, actor_kind, request_id FROM audit_log WHERE action = 'order.paid' ORDER BY order_id")
                        .all(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase)
                }
                #expect(entries.map(\.orderId) == orders.sorted())
                #expect(entries.allSatisfy { $0.actorKind == "provider" && $0.requestId?.hasPrefix("whk_") == true })
                try await WebhookFixture.sendAll(h, rounds: 1)
                let got = receiver.received
                #expect(got.map(\.type) == ["order.paid", "order.paid", "order.paid"])
                #expect(Set(got.compactMap { ($0.json["data"] as? [String: Any])?["id"] as? String }) == Set(orders))
            }
        }
    }

    @Test(arguments: TestEngines.all)
    func threeFailuresThenSuccessDeliverOnceMoreWithTheSameEvent(engine: DatabaseEngine) async throws {
        let receiver = FakeWebhookReceiver()
        receiver.answer([500, 500, 500])
        try await receiver.serve { base in
            try await WebhookFixture.run(engine) { h in
                let endpoint = try await WebhookFixture.register(h, url: "\(base)/in", events: #"["order.placed"]"#)
                _ = try await h.placeOrder()
                await h.platform.webhookSender.drain()
                #expect(receiver.received.count == 1)
                // Not due again until its backoff has passed.
                await h.platform.webhookSender.drain()
                #expect(receiver.received.count == 1)
                let failing = try await h.client.get("/api/v1/webhook-endpoints/\(endpoint.id)", key: h.organizerKey)
                #expect(failing.string("failing_since") != nil)
                try await WebhookFixture.sendAll(h, rounds: 5)

                let got = receiver.received
                #expect(got.count == 4)
                #expect(Set(got.compactMap(\.eventID)).count == 1)
                #expect(Set(got.map(\.body)).count == 1, "every attempt sends the same body")
                let list = try await WebhookFixture.deliveries(h)
                let id = try #require(list.first?["id"] as? String)
                let shown = try await h.client.get("/api/v1/webhook-deliveries/\(id)", key: h.organizerKey)
                #expect(shown.string("status") == "delivered")
                #expect(shown.json["attempts"] as? Int == 4)
                let attempts = shown.json["attempt_log"] as? [[String: Any]] ?? []
                #expect(attempts.map { $0["status_code"] as? Int } == [500, 500, 500, 200])
                #expect(attempts.first?["response_body"] as? String == "answer 500")
                let healthy = try await h.client.get("/api/v1/webhook-endpoints/\(endpoint.id)", key: h.organizerKey)
                #expect(healthy.string("failing_since") == nil && healthy.string("status") == "enabled")

                // Re-sending a delivered one sends it once more, with the same event id.
                let resend = try await h.client.post("/api/v1/webhook-deliveries/\(id)/resend", key: h.organizerKey, json: "")
                #expect(resend.status == .accepted)
                await h.platform.webhookSender.drain()
                #expect(receiver.received.count == 5 && receiver.received.last?.eventID == got.first?.eventID)
            }
        }
    }

    @Test(arguments: TestEngines.all)
    func a410DisablesTheEndpointAndEmailsItsOwner(engine: DatabaseEngine) async throws {
        let receiver = FakeWebhookReceiver()
        receiver.answer([410])
        try await receiver.serve { base in
            try await WebhookFixture.run(engine) { h in
                let endpoint = try await WebhookFixture.register(h, url: "\(base)/gone", events: #"["order.placed"]"#)
                _ = try await h.placeOrder()
                _ = try await h.placeOrder()
                await h.platform.webhookSender.drain()
                let shown = try await h.client.get("/api/v1/webhook-endpoints/\(endpoint.id)", key: h.organizerKey)
                #expect(shown.string("status") == "disabled")
                #expect(shown.string("disabled_reason") == "it answered 410 Gone")
                try await WebhookFixture.sendAll(h, rounds: 2)
                #expect(receiver.received.count == 1, "nothing more goes to a disabled endpoint")
                let statuses = try await WebhookFixture.deliveries(h).compactMap { $0["status"] as? String }
                #expect(statuses == ["failed", "failed"])
                #expect(try await rowCounts(h.database, tables: ["outbox_messages"], where: "kind = 'webhook_endpoint_disabled'")
                        == ["outbox_messages": 1])
                let audit = try await h.client.get("/api/v1/audit-log?action=webhook_endpoint.disabled", key: h.organizerKey)
                let entry = try #require((audit.json["data"] as? [[String: Any]])?.first)
                #expect((entry["actor"] as? [String: Any])?["kind"] as? String == "worker")
                // Enabled again, a re-sent delivery goes out.
                #expect(try await h.client.patch("/api/v1/webhook-endpoints/\(endpoint.id)", key: h.organizerKey, json: #"{"status":"enabled"}"#)
                        .string("status") == "enabled")
                let id = try #require(try await WebhookFixture.deliveries(h).first?["id"] as? String)
                #expect(try await h.client.post("/api/v1/webhook-deliveries/\(id)/resend", key: h.organizerKey, json: "").status == .accepted)
                await h.platform.webhookSender.drain()
                #expect(receiver.received.count == 2)
            }
        }
    }

    @Test(arguments: TestEngines.all)
    func anEndpointFailingForThreeDaysIsDisabled(engine: DatabaseEngine) async throws {
        let receiver = FakeWebhookReceiver()
        receiver.answer(Array(repeating: 503, count: 500))
        try await receiver.serve { base in
            try await WebhookFixture.run(engine) { h in
                let endpoint = try await WebhookFixture.register(h, url: "\(base)/down", events: #"["order.placed"]"#)
                _ = try await h.placeOrder()
                try await WebhookFixture.sendAll(h, rounds: 80)
                let shown = try await h.client.get("/api/v1/webhook-endpoints/\(endpoint.id)", key: h.organizerKey)
                #expect(shown.string("status") == "disabled")
                #expect(shown.string("disabled_reason") == "it failed every delivery for 3 days")
                let tries = receiver.received.count
                #expect(tries > 10 && tries < 80, "exponential backoff up to an hour: \(tries) attempts in 3 days")
                #expect(try await WebhookFixture.deliveries(h).first?["status"] as? String == "failed")
                #expect(try await rowCounts(h.database, tables: ["outbox_messages"], where: "kind = 'webhook_endpoint_disabled'")
                        == ["outbox_messages": 1])
            }
        }
    }

    @Test(arguments: TestEngines.all)
    func privateAddressesAreRefusedAtRegistrationAndAtSendTime(engine: DatabaseEngine) async throws {
        let hosts = StubHostResolver(["hooks.example.com": ["93.184.216.34"], "internal.example.com": ["10.0.0.5"],
                                      "mixed.example.com": ["93.184.216.34", "127.0.0.1"], "v6.example.com": ["::ffff:169.254.169.254"]])
        try await WebhookFixture.run(engine, allowLoopback: false, hosts: hosts) { h in
            let before = try await rowCounts(h.database, tables: ["webhook_endpoints", "audit_log"])
            for url in ["https://127.0.0.1/hook", "https://169.254.169.254/latest/meta-data", "https://[::1]/hook", "https://internal.example.com/x",
                        "https://mixed.example.com/x", "https://v6.example.com/x", "http://hooks.example.com/x", "https://nowhere.example.com/x",
                        "https://user:pass@hooks.example.com/x", "ftp://hooks.example.com/x", "hooks.example.com"] {
                let reply = try await h.client.post("/api/v1/webhook-endpoints", key: h.organizerKey, json: #"{"url":"\#(url)","events":["order.paid"]}"#)
                #expect(reply.status == .unprocessableContent, "\(url): \(reply.text)")
                #expect(reply.errorFields == ["url"], "\(url)")
            }
            // A description of 502 code points in 251 characters: over the document's 500 (code points).
            let long = String(repeating: "a\u{301}", count: 251)
            let described = try await h.client.post("/api/v1/webhook-endpoints", key: h.organizerKey,
                                                    json: #"{"url":"https://hooks.example.com/in","events":["order.paid"],"description":"\#(long)"}"#)
            #expect(described.status == .unprocessableContent && described.errorFields == ["description"], "\(described.text)")
            #expect(try await rowCounts(h.database, tables: ["webhook_endpoints", "audit_log"]) == before)

            let endpoint = try await WebhookFixture.register(h, url: "https://hooks.example.com/in", events: #"["order.placed"]"#)
            // The name now points at the machine itself (DNS rebinding): the sender refuses it.
            hosts.set("hooks.example.com", to: ["127.0.0.1"])
            _ = try await h.placeOrder()
            await h.platform.webhookSender.drain()
            let id = try #require(try await WebhookFixture.deliveries(h).first?["id"] as? String)
            let shown = try await h.client.get("/api/v1/webhook-deliveries/\(id)", key: h.organizerKey)
            #expect(shown.string("status") == "pending")
            let attempt = try #require((shown.json["attempt_log"] as? [[String: Any]])?.first)
            #expect(attempt["status_code"] == nil)
            #expect((attempt["error"] as? String)?.contains("resolves to a loopback address") == true, "\(attempt)")
            hosts.set("hooks.example.com", to: ["169.254.169.254"])
            let moved = try await h.client.patch("/api/v1/webhook-endpoints/\(endpoint.id)", key: h.organizerKey, json: #"{"url":"https://hooks.example.com/2"}"#)
            #expect(moved.status == .unprocessableContent)
        }
    }

    /// Delivered and given-up deliveries go after WEBHOOK_RETENTION_DAYS, with their attempts;
    /// waiting ones stay.
    @Test(arguments: TestEngines.all)
    func housekeepingDeletesFinishedDeliveriesAfterTheRetention(engine: DatabaseEngine) async throws {
        let receiver = FakeWebhookReceiver()
        try await receiver.serve { base in
            try await WebhookFixture.run(engine) { h in
                let endpoint = try await WebhookFixture.register(h, url: "\(base)/kept", events: #"["order.placed"]"#)
                _ = try await h.placeOrder()
                await h.platform.webhookSender.drain()
                #expect(try await h.client.patch("/api/v1/webhook-endpoints/\(endpoint.id)", key: h.organizerKey,
                                                 json: #"{"events":["order.paid"]}"#).status == .ok)
                let waiting = try #require(try await h.placeOrder().orderID)
                _ = try await h.deliver(id: "evt-kept", type: "paid", order: waiting, amount: 2_500)
                await h.drain()
                let tables = ["webhook_deliveries", "webhook_attempts"]
                #expect(try await rowCounts(h.database, tables: tables) == ["webhook_deliveries": 2, "webhook_attempts": 1])
                h.clock.advance(minutes: 29 * 24 * 60)
                try await h.platform.housekeeping.run()
                #expect(try await rowCounts(h.database, tables: tables) == ["webhook_deliveries": 2, "webhook_attempts": 1])
                h.clock.advance(minutes: 2 * 24 * 60)
                try await h.platform.housekeeping.run()
                #expect(try await rowCounts(h.database, tables: tables) == ["webhook_deliveries": 1, "webhook_attempts": 0])
                #expect(try await WebhookFixture.deliveries(h).map { $0["type"] as? String } == ["order.paid"])
            }
        }
    }

    /// The sender connects to the address the policy checked: the system resolver knows no
    /// `receiver.test`, so only the pinned address can reach the receiver.
    @Test(arguments: TestEngines.all)
    func theCheckedAddressIsTheOneConnectedTo(engine: DatabaseEngine) async throws {
        let receiver = FakeWebhookReceiver()
        try await receiver.serve { base in
            let hosts = StubHostResolver(["receiver.test": ["127.0.0.1"]])
            try await WebhookFixture.run(engine, hosts: hosts) { h in
                let url = base.replacingOccurrences(of: "127.0.0.1", with: "receiver.test") + "/pinned"
                _ = try await WebhookFixture.register(h, url: url, events: #"["order.placed"]"#)
                _ = try await h.placeOrder()
                await h.platform.webhookSender.drain()
                let got = try #require(receiver.received.first)
                #expect(got.path == "/pinned")
                #expect(got.headers["host"]?.hasPrefix("receiver.test") == true)
                #expect(try await WebhookFixture.deliveries(h).first?["status"] as? String == "delivered")
            }
        }
    }

    @Test(arguments: TestEngines.all)
    func redirectsAreNotFollowed(engine: DatabaseEngine) async throws {
        let receiver = FakeWebhookReceiver()
        receiver.answer([302])
        try await receiver.serve { base in
            try await WebhookFixture.run(engine) { h in
                _ = try await WebhookFixture.register(h, url: "\(base)/moved", events: #"["order.placed"]"#)
                _ = try await h.placeOrder()
                await h.platform.webhookSender.drain()
                #expect(receiver.received.map(\.path) == ["/moved"])
                let delivery = try #require(try await WebhookFixture.deliveries(h).first)
                #expect(delivery["status"] as? String == "pending" && delivery["last_status_code"] as? Int == 302)
            }
        }
    }

    @Test(arguments: TestEngines.all)
    func aRotatedSecretSignsBesideTheOldOneForADay(engine: DatabaseEngine) async throws {
        let receiver = FakeWebhookReceiver()
        try await receiver.serve { base in
            try await WebhookFixture.run(engine) { h in
                let endpoint = try await WebhookFixture.register(h, url: "\(base)/r", events: #"["order.placed"]"#)
                let rotated = try await h.client.post("/api/v1/webhook-endpoints/\(endpoint.id)/secret", key: h.organizerKey, json: "")
                let secret = try #require(rotated.string("secret"))
                #expect(secret != endpoint.secret && secret.hasPrefix("whsec_"))
                #expect(try await h.client.get("/api/v1/webhook-endpoints/\(endpoint.id)", key: h.organizerKey).string("secret") == nil)
                _ = try await h.placeOrder()
                await h.platform.webhookSender.drain()
                h.clock.advance(minutes: 24 * 60 + 1)
                _ = try await h.placeOrder()
                await h.platform.webhookSender.drain()
                let got = receiver.received
                #expect(got.count == 2)
                let first = try #require(got.first?.headers["platform-signature"]), second = try #require(got.last?.headers["platform-signature"])
                #expect(first.components(separatedBy: "v1=").count == 3 && second.components(separatedBy: "v1=").count == 2)
                for old in [[endpoint.secret], [secret]] {
                    try TimestampedSignature.verify(header: first, body: got[0].body, secrets: old, now: h.clock.now(), tolerance: 86_400 * 30)
                }
                #expect(throws: WebhookRejected.self) {
                    try TimestampedSignature.verify(header: second, body: got[1].body, secrets: [endpoint.secret], now: h.clock.now(), tolerance: 86_400 * 30)
                }
            }
        }
    }

    @Test(arguments: TestEngines.all)
    func anotherOrganizerCannotReadOrChangeAnEndpoint(engine: DatabaseEngine) async throws {
        let hosts = StubHostResolver(["hooks.example.com": ["93.184.216.34"]])
        try await WebhookFixture.run(engine, allowLoopback: false, hosts: hosts) { h in
            let mine = try await WebhookFixture.register(h, url: "https://hooks.example.com/a", events: #"["order.placed"]"#)
            _ = try await h.placeOrder()
            let delivery = try #require(try await WebhookFixture.deliveries(h).first?["id"] as? String)
            let other = try await h.client.createOrganizer(admin: h.adminKey, slug: "other").key
            for (method, path, body) in [
                (HTTPRequest.Method.get, "/api/v1/webhook-endpoints/\(mine.id)", nil),
                (.patch, "/api/v1/webhook-endpoints/\(mine.id)", #"{"status":"disabled"}"#),
                (.delete, "/api/v1/webhook-endpoints/\(mine.id)", nil),
                (.post, "/api/v1/webhook-endpoints/\(mine.id)/secret", ""),
                (.get, "/api/v1/webhook-endpoints/\(mine.id)/deliveries", nil),
                (.get, "/api/v1/webhook-deliveries/\(delivery)", nil),
                (.post, "/api/v1/webhook-deliveries/\(delivery)/resend", ""),
            ] as [(HTTPRequest.Method, String, String?)] {
                let reply = try await h.client.send(method, path, key: other, json: body)
                #expect(reply.status == .notFound, "\(method) \(path): \(reply.text)")
            }
            #expect(try await WebhookFixture.deliveries(h, key: other).isEmpty)
            #expect((try await h.client.get("/api/v1/webhook-endpoints", key: other).json["data"] as? [Any])?.isEmpty == true)
            #expect(try await h.client.get("/api/v1/webhook-endpoints/\(mine.id)", key: h.organizerKey).string("status") == "enabled")
        }
    }

    /// An integrator's own code verifies our signature: Python's hmac, running the README's lines.
    @Test(arguments: [DatabaseEngine.sqlite])
    func theReadmesPythonVerifiesTheSignature(engine: DatabaseEngine) async throws {
        let readme = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "Verifying a delivery in Python"))
        let start = try #require(readme.range(of: "```python\n", range: section.upperBound..<readme.endIndex))
        let end = try #require(readme.range(of: "```", range: start.upperBound..<readme.endIndex))
        let snippet = String(readme[start.upperBound..<end.lowerBound])
        #expect(snippet.split(separator: "\n").count == 4, "an import and three lines")
        let script = """
            import sys
            signature_header, secret, body = sys.argv[1], sys.argv[2], open(sys.argv[3], 'rb').read()
            \(snippet)
            print('valid' if valid else 'invalid')
            """
        let receiver = FakeWebhookReceiver()
        try await receiver.serve { base in
            // The snippet checks the timestamp against the real time.
            try await WebhookFixture.run(engine, clock: ManualClock(SystemClock().now())) { h in
                let endpoint = try await WebhookFixture.register(h, url: "\(base)/py", events: #"["order.placed"]"#)
                _ = try await h.placeOrder()
                await h.platform.webhookSender.drain()
                let request = try #require(receiver.received.first)
                let header = try #require(request.headers["platform-signature"])
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("webhook-\(UUID()).json")
                try request.body.write(to: file)
                let tampered = FileManager.default.temporaryDirectory.appendingPathComponent("webhook-\(UUID()).json")
                try (request.body + Data(" ".utf8)).write(to: tampered)
                defer { for url in [file, tampered] { try? FileManager.default.removeItem(at: url) } }
                for (secret, path, expected) in [(endpoint.secret, file, "valid"), ("whsec_wrong", file, "invalid"), (endpoint.secret, tampered, "invalid")] {
                    guard let (status, output) = try await TestPython.run(["-c", script, header, secret, path.path]) else { return }
                    #expect(status == 0)
                    #expect(String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == expected, "\(secret) \(path)")
                }
            }
        }
    }
}
