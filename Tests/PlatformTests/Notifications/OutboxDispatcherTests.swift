import Foundation
import Platform
import PlatformTesting
import Testing

@Suite struct OutboxDispatcherTests {
    func dispatcher(_ database: any Database, _ clock: ManualClock, _ mailer: ScriptedMailer) async throws -> OutboxDispatcher {
        OutboxDispatcher(database: database, clock: clock, mailer: mailer, composer: try await OutboxFixture.composer(), logger: quietLogger)
    }

    @Test(arguments: TestEngines.all)
    func failuresRetryWithBackoffUntilEachMessageIsDeliveredOnce(engine: DatabaseEngine) async throws {
        try await withTestDatabase(engine) { database in
            let clock = ManualClock()
            let mailer = ScriptedMailer()
            let outbox = try await dispatcher(database, clock, mailer)
            var ids: [MessageID] = []
            for index in 0..<5 { ids.append(try await OutboxFixture.enqueue(database, key: "order-paid-\(index)", at: clock.now())) }
            // The provider answers 500 for a stretch: the first 12 sends fail.
            mailer.fail(with: Array(repeating: .retryable("500 application_error"), count: 12))
            let start = clock.now()
            #expect(await outbox.drain() == 5)
            let first = try #require(try await OutboxFixture.find(database, ids[0]))
            #expect(first.status == .queued && first.attempts == 1 && first.lastError == "500 application_error")
            // The first retry waits 2 s plus up to 20% jitter.
            let wait = first.nextAttemptAt.milliseconds - start.milliseconds
            #expect((2_000...2_400).contains(wait))
            #expect(await outbox.drain() == 0, "nothing is due before its time")
            for _ in 0..<6 {
                clock.set(Timestamp(milliseconds: clock.now().milliseconds + 60_000))
                await outbox.drain()
            }
            for id in ids { #expect(try await OutboxFixture.find(database, id)?.status == .sent) }
            #expect(mailer.deliveries.count == 5 && mailer.deliveries.values.allSatisfy { $0 == 1 })
            #expect(mailer.calls.count == 17, "12 failed sends and 5 that went through")
            let sent = try #require(try await OutboxFixture.find(database, ids[4]))
            #expect(sent.providerMessageID == "scripted-order-paid-4" && sent.mailer == "scripted" && sent.sentAt != nil)
        }
    }

    @Test(arguments: TestEngines.all)
    func aRetryAfterLongerThanTheBackoffIsHonoured(engine: DatabaseEngine) async throws {
        try await withTestDatabase(engine) { database in
            let clock = ManualClock()
            let mailer = ScriptedMailer()
            let outbox = try await dispatcher(database, clock, mailer)
            let id = try await OutboxFixture.enqueue(database, key: "k-429", at: clock.now())
            mailer.fail(with: [.retryable("429 rate_limit_exceeded", retryAfterSeconds: 120)])
            let start = clock.now().milliseconds
            await outbox.drain()
            #expect(try await OutboxFixture.find(database, id)?.nextAttemptAt.milliseconds == start + 120_000)
            clock.set(Timestamp(milliseconds: start + 119_000))
            #expect(await outbox.drain() == 0)
            clock.set(Timestamp(milliseconds: start + 120_000))
            #expect(await outbox.drain() == 1)
            #expect(try await OutboxFixture.find(database, id)?.status == .sent)
        }
    }

    @Test(arguments: TestEngines.all)
    func aPermanentErrorIsDeadAtOnceAndAnAdminReplaysIt(engine: DatabaseEngine) async throws {
        let clock = ManualClock()
        try await withTestAPI(engine, clock: clock) { client, database in
            let admin = try await issueAdminKey(database)
            let mailer = ScriptedMailer()
            let outbox = try await dispatcher(database, clock, mailer)
            let id = try await OutboxFixture.enqueue(database, key: "k-422", at: clock.now())
            mailer.fail(with: [.permanent("422 invalid_to_address: the recipient is not a valid address")])
            await outbox.drain()
            let dead = try #require(try await OutboxFixture.find(database, id))
            #expect(dead.status == .dead && dead.attempts == 1 && dead.lastError?.contains("invalid_to_address") == true)

            #expect(try await client.get("/api/v1/admin/outbox").status == .unauthorized)
            let organizer = try await client.createOrganizer(admin: admin, slug: "mailer")
            #expect(try await client.get("/api/v1/admin/outbox", key: organizer.key).status == .forbidden)
            #expect(try await client.post("/api/v1/admin/outbox/\(id)/replay", key: organizer.key, json: "").status == .forbidden)
            let list = try await client.get("/api/v1/admin/outbox", key: admin)
            #expect(list.status == .ok)
            let rows = try #require(list.json["data"] as? [[String: Any]])
            #expect(rows.map { $0["id"] as? String } == [id.rawValue] && rows.first?["status"] as? String == "dead")
            #expect(rows.first?["last_error"] as? String == dead.lastError)
            #expect(try await client.get("/api/v1/admin/outbox?status=sent", key: admin).json["data"] as? [[String: Any]] != nil)
            #expect(try await client.get("/api/v1/admin/outbox?status=lost", key: admin).status == .unprocessableContent)
            #expect(try await client.get("/api/v1/admin/outbox?status=dead,lost", key: admin).status == .unprocessableContent)
            let several = try await client.get("/api/v1/admin/outbox?status=sent,dead", key: admin).json["data"] as? [[String: Any]]
            #expect(several?.compactMap { $0["id"] as? String } == [id.rawValue])
            #expect((try await client.get("/api/v1/admin/outbox?status=all", key: admin).json["data"] as? [Any])?.count == 1)

            let replay = try await client.post("/api/v1/admin/outbox/\(id)/replay", key: admin, json: "")
            #expect(replay.status == .accepted && replay.json["status"] as? String == "queued")
            #expect(try await client.post("/api/v1/admin/outbox/\(id)/replay", key: admin, json: "").status == .conflict)
            #expect(try await client.post("/api/v1/admin/outbox/msg_00000000000000000000000000/replay", key: admin, json: "").status == .notFound)
            await outbox.drain()
            #expect(try await OutboxFixture.find(database, id)?.status == .sent)
            #expect(mailer.deliveries == ["k-422": 1])
        }
    }

    @Test(arguments: TestEngines.all)
    func aWorkerThatDiesMidSendLeavesTheMessageToBeSentAgainUnderItsKey(engine: DatabaseEngine) async throws {
        try await withTestDatabase(engine) { database in
            let clock = ManualClock()
            let mailer = ScriptedMailer()
            let outbox = try await dispatcher(database, clock, mailer)
            let id = try await OutboxFixture.enqueue(database, key: "k-crash", at: clock.now())
            // A worker leases the row, the provider accepts the message, and the worker dies before recording it.
            let engine = database.engine
            let leased = try await database.transaction { sql in
                try await OutboxRepository(sql, engine: engine).claimDue(now: clock.now(), leaseUntil: clock.now().adding(seconds: outbox.leaseSeconds), limit: 10)
            }
            #expect(leased.map(\.id) == [id])
            mailer.alreadyAccepted("k-crash")
            #expect(await outbox.drain() == 0, "the lease still holds")
            clock.set(clock.now().adding(seconds: outbox.leaseSeconds))
            #expect(await outbox.drain() == 1)
            let sent = try #require(try await OutboxFixture.find(database, id))
            #expect(sent.status == .sent && sent.attempts == 2 && sent.providerMessageID == "scripted-k-crash")
            #expect(mailer.calls == ["k-crash"] && mailer.deliveries == ["k-crash": 1], "resent under the same key, delivered once")
        }
    }

    @Test(arguments: TestEngines.all)
    func aMessageThatKeepsFailingIsDeadAfterTheLastAttempt(engine: DatabaseEngine) async throws {
        try await withTestDatabase(engine) { database in
            let clock = ManualClock()
            let mailer = ScriptedMailer()
            var outbox = try await dispatcher(database, clock, mailer)
            outbox.maxAttempts = 3
            let id = try await OutboxFixture.enqueue(database, key: "k-down", at: clock.now())
            mailer.fail(with: Array(repeating: .retryable("connection refused"), count: 3))
            for _ in 0..<4 {
                await outbox.drain()
                clock.set(clock.now().adding(seconds: 3600))
            }
            let dead = try #require(try await OutboxFixture.find(database, id))
            #expect(dead.status == .dead && dead.attempts == 3 && dead.lastError == "connection refused")
            #expect(mailer.deliveries.isEmpty)
        }
    }

    @Test(arguments: TestEngines.all)
    func oneIdempotencyKeyQueuesOneMessage(engine: DatabaseEngine) async throws {
        try await withTestDatabase(engine) { database in
            let clock = ManualClock()
            try await OutboxFixture.enqueue(database, key: "same", at: clock.now())
            try await OutboxFixture.enqueue(database, key: "same", at: clock.now())
            let engine = database.engine
            #expect(try await database.read { sql in try await OutboxRepository(sql, engine: engine).count(status: .queued) } == 1)
        }
    }

    @Test(arguments: TestEngines.all)
    func aMessageWhoseLeasesKeepRunningOutIsDeadWithoutAnotherSend(engine: DatabaseEngine) async throws {
        try await withTestDatabase(engine) { database in
            let clock = ManualClock()
            let mailer = ScriptedMailer()
            var outbox = try await dispatcher(database, clock, mailer)
            outbox.maxAttempts = 2
            let id = try await OutboxFixture.enqueue(database, key: "k-silent", at: clock.now())
            // Workers that die mid-send, again and again: every lease runs out unrecorded.
            let engine = database.engine
            for _ in 0..<2 {
                _ = try await database.transaction { sql in
                    try await OutboxRepository(sql, engine: engine).claimDue(now: clock.now(), leaseUntil: clock.now().adding(seconds: 60), limit: 1)
                }
                clock.set(clock.now().adding(seconds: 60))
            }
            #expect(await outbox.drain() == 1)
            let dead = try #require(try await OutboxFixture.find(database, id))
            #expect(dead.status == .dead && dead.attempts == 3 && dead.lastError == "no answer after 2 attempts")
            #expect(mailer.calls.isEmpty)
        }
    }
}
