import Foundation
import Platform
import PlatformTesting
import Resend
import Testing

/// The outbox sending through the Resend plugin to the fake Resend, on both engines.
@Suite struct ResendOutboxTests {
    struct Stamp: InlineImageRenderer {
        let name = "qr"
        let contentType = "image/png"
        func render(_ value: String) throws -> [UInt8] { Array(value.utf8) }
    }

    static func enqueue(_ database: any Database, count: Int, at time: Timestamp, to: String = "ada@example.com") async throws -> [MessageID] {
        let engine = database.engine
        return try await database.transaction { sql in
            var ids: [MessageID] = []
            for index in 0..<count {
                let id = MessageID.generate(at: time)
                let model = #"{"link":"https://tickets.example/my?t=\#(index)","valid_minutes":30}"#
                try await OutboxRepository(sql, engine: engine).insert(
                    id: id, kind: .magicLink, organizer: nil, recipient: to,
                    content: MailContent(sender: MailAddress(email: "tickets@platform.example", name: "Platform"), replyTo: nil, model: model,
                                         images: [InlineImage(contentID: "logo", filename: "logo.png", renderer: "qr", value: "logo-\(index)")]),
                    idempotencyKey: "magic-link-\(index)-\(id)", at: time)
                ids.append(id)
            }
            return ids
        }
    }

    static func dispatcher(_ database: any Database, _ clock: ManualClock, _ base: String) async throws -> OutboxDispatcher {
        OutboxDispatcher(database: database, clock: clock, mailer: ResendTests.mailer(base),
                         composer: try await MailComposer.load(directory: MailComposer.defaultDirectory(), renderers: [Stamp()]), logger: quietLogger)
    }

    static func statuses(_ database: any Database, _ ids: [MessageID]) async throws -> [OutboxStatus] {
        let engine = database.engine
        return try await database.read { sql in
            var result: [OutboxStatus] = []
            for id in ids { result.append(try await OutboxRepository(sql, engine: engine).find(id)?.status ?? .dead) }
            return result
        }
    }

    /// A database of `engine`, a manual clock, a fake Resend and a dispatcher sending to it.
    static func run(_ engine: DatabaseEngine,
                    _ body: @escaping @Sendable (any Database, ManualClock, FakeResend, OutboxDispatcher) async throws -> Void) async throws {
        try await withTestDatabase(engine) { database in
            let clock = ManualClock()
            let fake = FakeResend(clock: clock)
            try await fake.serving { base in try await body(database, clock, fake, try await dispatcher(database, clock, base)) }
        }
    }

    @Test(arguments: TestEngines.all)
    func aStretchOf500sEndsWithEveryMessageDeliveredOnce(engine: DatabaseEngine) async throws {
        try await Self.run(engine) { database, clock, fake, outbox in
            let ids = try await Self.enqueue(database, count: 20, at: clock.now())
            fake.inject(500, name: "application_error", message: "Something went wrong", times: 30)
            for _ in 0..<6 {
                await outbox.drain()
                clock.set(clock.now().adding(seconds: 600))
            }
            #expect(try await Self.statuses(database, ids) == Array(repeating: .sent, count: 20))
            #expect(fake.deliveries.count == 20 && fake.deliveriesByKey.values.allSatisfy { $0 == 1 })
            #expect(fake.requestCount == 50, "30 refused and 20 accepted")
            // The inline image went along with its content id.
            let attachment = (fake.deliveries.first?.json["attachments"] as? [any Sendable])?.first as? [String: any Sendable]
            #expect(attachment?["content_id"] as? String == "logo")
        }
    }

    /// Resend answers 500 to everything for five minutes of the clock, then recovers: every message
    /// is delivered once, none is dead. With 8 attempts, every message was dead by then.
    @Test(arguments: TestEngines.all)
    func fiveMinutesOfResendDownThenEveryMessageOnce(engine: DatabaseEngine) async throws {
        try await Self.run(engine) { database, clock, fake, outbox in
            let ids = try await Self.enqueue(database, count: 20, at: clock.now())
            let recovery = clock.now().adding(minutes: 5)
            fake.down(until: recovery)
            while clock.now().milliseconds < recovery.milliseconds {
                await outbox.drain()
                clock.set(clock.now().adding(seconds: 5))
            }
            #expect(try await Self.statuses(database, ids).allSatisfy { $0 == .queued }, "still waiting, none given up")
            #expect(fake.deliveries.isEmpty && fake.requestCount >= 20 * 7, "each tried at least 7 times during the outage")
            // After the outage: the longest backoff then is 256 s plus 20%.
            for _ in 0..<80 {
                await outbox.drain()
                clock.set(clock.now().adding(seconds: 5))
            }
            #expect(try await Self.statuses(database, ids) == Array(repeating: .sent, count: 20))
            #expect(fake.deliveries.count == 20 && fake.deliveriesByKey.values.allSatisfy { $0 == 1 })
        }
    }

    @Test(arguments: TestEngines.all)
    func a429sRetryAfterIsHonoured(engine: DatabaseEngine) async throws {
        try await Self.run(engine) { database, clock, fake, outbox in
            let ids = try await Self.enqueue(database, count: 1, at: clock.now())
            fake.inject(429, name: "rate_limit_exceeded", message: "Too many requests. You can only make 2 requests per second.", retryAfter: 30)
            let start = clock.now()
            await outbox.drain()
            clock.set(start.adding(seconds: 29))
            #expect(await outbox.drain() == 0)
            #expect(try await Self.statuses(database, ids) == [.queued])
            clock.set(start.adding(seconds: 30))
            #expect(await outbox.drain() == 1)
            #expect(try await Self.statuses(database, ids) == [.sent] && fake.deliveries.count == 1)
        }
    }

    @Test(arguments: TestEngines.all)
    func aCrashAfterResendAcceptedSendsAgainUnderTheKeyAndDeliversOnce(engine: DatabaseEngine) async throws {
        try await Self.run(engine) { database, clock, fake, outbox in
            let ids = try await Self.enqueue(database, count: 1, at: clock.now())
            // The worker that is killed: it leases the row, Resend accepts the email, and nothing is recorded.
            let engine = database.engine
            let leased = try await database.transaction { sql in
                try await OutboxRepository(sql, engine: engine).claimDue(now: clock.now(), leaseUntil: clock.now().adding(seconds: outbox.leaseSeconds), limit: 1)
            }
            let accepted = try await outbox.mailer.send(try outbox.composer.compose(try #require(leased.first)))
            // The restarted worker, once the lease has run out.
            clock.set(clock.now().adding(seconds: outbox.leaseSeconds))
            #expect(await outbox.drain() == 1)
            let engine2 = database.engine
            let sent = try await database.read { sql in try await OutboxRepository(sql, engine: engine2).find(ids[0]) }
            #expect(sent?.status == .sent && sent?.providerMessageID == accepted.messageID && sent?.attempts == 2)
            #expect(fake.requestCount == 2 && fake.deliveries.count == 1, "sent twice under one key, delivered once")
        }
    }

    @Test(arguments: TestEngines.all)
    func a422IsDeadAtOnceWithResendsReason(engine: DatabaseEngine) async throws {
        try await Self.run(engine) { database, clock, fake, outbox in
            let ids = try await Self.enqueue(database, count: 1, at: clock.now(), to: "no-at-sign")
            await outbox.drain()
            let engine = database.engine
            let dead = try await database.read { sql in try await OutboxRepository(sql, engine: engine).find(ids[0]) }
            #expect(dead?.status == .dead && dead?.attempts == 1)
            #expect(dead?.lastError?.hasPrefix("Resend 422 validation_error: Invalid `to` field") == true)
            #expect(fake.deliveries.isEmpty)
        }
    }
}
