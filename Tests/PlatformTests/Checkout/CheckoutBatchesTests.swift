import Platform
import SQLKit
import PlatformTesting
import Synchronization
import Testing

/// The batches of a variant's reserve transactions, without a database: who shares a batch, and
/// what each checkout is answered when its batch fails.
@Suite(.timeLimit(.minutes(1))) struct CheckoutBatchesTests {
    struct Refused: Error {}

    /// Items ending in "!" make their batch throw, after `failure` if given; each batch waits at
    /// `gate` first.
    final class Runs: Sendable {
        let gate = Gate()
        let batches = Mutex<[[String]]>([])
        let failure: (any Error & Sendable)?

        init(failure: (any Error & Sendable)? = nil) { self.failure = failure }

        func run(_ items: [String]) async throws -> [String] {
            batches.withLock { $0.append(items) }
            await gate.wait()
            if let failure { throw failure }
            if items.contains(where: { $0.hasSuffix("!") }) { throw Refused() }
            return items.map { "done \($0)" }
        }

        var started: Int { batches.withLock { $0.joined().count } }
    }

    /// Runs `run(item)` for each of `items` in turn: each of the first `starting` once its batch
    /// started, each later one once it queued, so that they join batches in that order.
    static func submit(_ items: [String], starting: Int, to batches: CheckoutBatches<Int, String, String>, _ runs: Runs,
                       _ answers: Shared<[String: String]>) async throws {
        for (index, item) in items.enumerated() {
            Task {
                let answer: String
                do {
                    answer = try await batches.run(1, item) ?? "alone"
                } catch {
                    answer = "\(type(of: error))"
                }
                answers.value.withLock { $0[item] = answer }
            }
            try await until({ index < starting ? runs.started == index + 1 : batches.count(1).queued == index + 1 - starting },
                            "\(item): \(batches.count(1)), \(runs.started) started")
        }
    }

    @Test func checkoutsThatQueueWhileTheRunnersAreBusyShareTheNextBatch() async throws {
        let runs = Runs()
        let batches = CheckoutBatches<Int, String, String>(maxBatch: 3, runners: 2) { try await runs.run($0) }
        let answers = Shared<[String: String]>([:])
        try await Self.submit(["a", "b", "c", "d", "e", "f", "g"], starting: 2, to: batches, runs, answers)
        #expect(batches.count(1) == (queued: 5, running: 2))
        runs.gate.open()
        try await until { answers.value.withLock(\.count) == 7 }
        // The two runners take the next batches in turn, in whichever order they then start.
        #expect(Set(runs.batches.withLock { $0 }) == [["a"], ["b"], ["c", "d", "e"], ["f", "g"]])
        #expect(answers.value.withLock { $0 } == Dictionary(uniqueKeysWithValues: "abcdefg".map { ("\($0)", "done \($0)") }))
        #expect(batches.largestBatch == 3)
        try await until { batches.keysRunning == 0 }
    }

    @Test func aFailedBatchOfSeveralSendsEachToRunAloneAndABatchOfOneGetsItsError() async throws {
        let runs = Runs()
        let batches = CheckoutBatches<Int, String, String>(maxBatch: 4, runners: 1) { try await runs.run($0) }
        let answers = Shared<[String: String]>([:])
        try await Self.submit(["x!", "a", "b!", "c"], starting: 1, to: batches, runs, answers)
        runs.gate.open()
        try await until { answers.value.withLock(\.count) == 4 }
        #expect(runs.batches.withLock { $0 } == [["x!"], ["a", "b!", "c"]])
        #expect(answers.value.withLock { $0 } == ["x!": "Refused", "a": "alone", "b!": "alone", "c": "alone"])
        try await until { batches.keysRunning == 0 }
    }

    @Test func anUnreachableDatabaseIsEveryonesAnswer() async throws {
        let runs = Runs(failure: DatabaseUnavailable(reason: "test"))
        let batches = CheckoutBatches<Int, String, String>(maxBatch: 4, runners: 1) { try await runs.run($0) }
        let answers = Shared<[String: String]>([:])
        try await Self.submit(["a", "b", "c"], starting: 1, to: batches, runs, answers)
        runs.gate.open()
        try await until { answers.value.withLock(\.count) == 3 }
        #expect(runs.batches.withLock { $0 } == [["a"], ["b", "c"]])
        #expect(answers.value.withLock { $0 } == ["a": "DatabaseUnavailable", "b": "DatabaseUnavailable", "c": "DatabaseUnavailable"])
    }

    /// Behind a batch that never ends, queued checkouts are answered 503 once they waited
    /// `maxWait`; the stuck batch's own checkout still gets its answer when it ends.
    @Test func aCheckoutQueuedBehindAStuckBatchIsRefused() async throws {
        let runs = Runs()
        defer { runs.gate.open() }
        let batches = CheckoutBatches<Int, String, String>(maxBatch: 4, runners: 1, maxWait: .seconds(2)) { try await runs.run($0) }
        let answers = Shared<[String: String]>([:])
        let start = ContinuousClock.now
        try await Self.submit(["a", "b", "c"], starting: 1, to: batches, runs, answers)
        try await until { answers.value.withLock(\.count) == 2 }
        #expect(ContinuousClock.now - start >= .seconds(2))
        #expect(answers.value.withLock { $0 } == ["b": "DatabaseUnavailable", "c": "DatabaseUnavailable"])
        #expect(batches.count(1) == (queued: 0, running: 1))
        runs.gate.open()
        try await until { answers.value.withLock(\.count) == 3 }
        #expect(answers.value.withLock { $0["a"] } == "done a")
        try await until { batches.keysRunning == 0 }
    }

    /// A queue that moves keeps its checkouts, however long each waits in all.
    @Test func aSlowQueueThatMovesRefusesNobody() async throws {
        let batches = CheckoutBatches<Int, String, String>(maxBatch: 1, runners: 1, maxWait: .seconds(2)) { items in
            try await Task.sleep(for: .milliseconds(700))
            return items.map { "done \($0)" }
        }
        let answers = Shared<[String: String]>([:])
        for item in ["a", "b", "c", "d", "e", "f"] {
            Task {
                let answer = (try? await batches.run(1, item)) ?? nil
                answers.value.withLock { $0[item] = answer ?? "refused" }
            }
        }
        try await until { answers.value.withLock(\.count) == 6 }
        #expect(answers.value.withLock { $0 } == Dictionary(uniqueKeysWithValues: "abcdef".map { ("\($0)", "done \($0)") }))
    }

    @Test func anotherVariantHasItsOwnRunners() async throws {
        let runs = Runs()
        let batches = CheckoutBatches<Int, String, String>(maxBatch: 4, runners: 1) { try await runs.run($0) }
        let answers = Shared<[String: String]>([:])
        try await Self.submit(["a"], starting: 1, to: batches, runs, answers)
        let other = outcome {
            let answer = try await batches.run(2, "z")
            #expect(answer == "done z")
        }
        try await until { runs.batches.withLock(\.count) == 2 }
        #expect(batches.keysRunning == 2)
        runs.gate.open()
        try await until { other.value.withLock { $0 } != nil && answers.value.withLock(\.count) == 1 }
        #expect(other.value.withLock { $0 } is Succeeded)
        try await until { batches.keysRunning == 0 }
    }

    @Test func aCheckoutCancelledBeforeItQueuesRunsNothing() async throws {
        let runs = Runs()
        runs.gate.open()
        let batches = CheckoutBatches<Int, String, String>(maxBatch: 4, runners: 1) { try await runs.run($0) }
        let cancelled = outcome {
            withUnsafeCurrentTask { $0?.cancel() }
            _ = try await batches.run(1, "a")
        }
        try await until { cancelled.value.withLock { $0 } != nil }
        #expect(cancelled.value.withLock { $0 } is CancellationError)
        #expect(runs.batches.withLock { $0 }.isEmpty)
    }
}

/// Batched checkouts through the API, on both engines: one checkout's failure is its own, and a
/// batch never takes more seats than are left.
@Suite struct CheckoutBatchCheckoutTests {
    struct Count: Decodable { let n: Int64 }

    /// Thirty buyers of one variant at once, one of whom names a redirect outside the event's
    /// origins: every other order is placed, with its seat and its audit entry, and hers writes nothing.
    @Test(arguments: TestEngines.all)
    func aBadOrderInABatchIsRefusedAloneAndTheOthersArePlaced(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<30 {
                    let extra = index == 17 ? #","success_url":"https://elsewhere.example/thanks""# : ""
                    group.addTask { try await h.placeOrder(body: h.cart(email: "buyer\(index)@example.com", extra: extra)).status.code }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.sorted() == Array(repeating: 201, count: 29) + [400])
            #expect(try await h.variantCounts() == (0, 29))
            #expect(try await Self.count("SELECT COUNT(*) AS n FROM orders", h) == 29)
            #expect(try await Self.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'order.placed'", h) == 29)
            #expect(h.platform.checkout.largestBatch > 1, "the orders shared a batch")
            #expect(h.platform.checkout.batchesFailed <= 1, "only the bad order's batch failed")
        }
    }

    /// Twenty-five buyers at once for ten seats: batches that would take more than are left fail
    /// whole, their orders run alone, and exactly ten are placed.
    @Test(arguments: TestEngines.all)
    func batchesNeverTakeMoreSeatsThanAreLeft(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine, quota: 10) { h in
            let statuses = try await Self.placeAtOnce(25, h)
            #expect(statuses == Array(repeating: 201, count: 10) + Array(repeating: 409, count: 15))
            #expect(try await h.variantCounts() == (0, 10))
            #expect(try await Self.count("SELECT COUNT(*) AS n FROM orders", h) == 10)
            #expect(try await Self.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'order.placed'", h) == 10)
        }
    }

    /// The organizer's endpoints are read once for a batch, and each order is still published.
    @Test(arguments: TestEngines.all)
    func eachOrderOfABatchIsPublishedOnce(engine: DatabaseEngine) async throws {
        try await WebhookFixture.run(engine) { h in
            _ = try await WebhookFixture.register(h, url: "http://127.0.0.1:9/hooks", events: #"["order.placed"]"#)
            let statuses = try await Self.placeAtOnce(20, h)
            #expect(statuses == Array(repeating: 201, count: 20))
            #expect(try await Self.count("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE type = 'order.placed'", h) == 20)
            #expect(try await Self.count("SELECT COUNT(DISTINCT subject_id) AS n FROM webhook_deliveries", h) == 20)
            #expect(h.platform.checkout.largestBatch > 1, "the orders shared a batch")
            #expect(h.platform.checkout.batchesFailed == 0)
        }
    }

    /// Twenty buyers at once, each with an Idempotency-Key: their orders' checkout sessions are
    /// recorded together, each order gets its own, and each key then replays its own answer.
    @Test(arguments: TestEngines.all)
    func theCheckoutSessionsOfOrdersPlacedAtOnceAreRecordedTogether(engine: DatabaseEngine) async throws {
        struct Recorded: Decodable { let id: String, checkoutUrl: String?, providerSession: String? }
        try await CheckoutHarness.run(engine) { h in
            let first = try await Self.placeAtOnce((0..<20).map { ("key-\($0)", h.cart(email: "buyer\($0)@example.com")) }, h)
            #expect(first.values.map(\.status.code) == Array(repeating: 201, count: 20))
            let recorded = try await h.database.read { sql in
                try await sql.raw("SELECT id, checkout_url, provider_session FROM orders")
                    .all(decoding: Recorded.self, keyDecodingStrategy: .convertFromSnakeCase)
            }
            let urls = Dictionary(uniqueKeysWithValues: recorded.map { ($0.id, $0.checkoutUrl) })
            for reply in first.values {
                let id = try #require((reply.json["order"] as? [String: Any])?["id"] as? String)
                let url = try #require(reply.string("checkout_url"))
                #expect(urls[id] == url, "the order's row holds the session it was answered")
            }
            #expect(recorded.count == 20 && recorded.allSatisfy { $0.providerSession != nil })
            #expect(Set(recorded.compactMap(\.checkoutUrl)).count == 20)
            #expect(try await Self.count("SELECT COUNT(*) AS n FROM idempotency_keys WHERE state = 'done' AND response_status = 201", h) == 20)
            for (index, reply) in first {
                let again = try await h.placeOrder(key: "key-\(index)", body: h.cart(email: "buyer\(index)@example.com"))
                #expect(again.status.code == 201 && again.body == reply.body, "key-\(index) replays its own answer")
            }
            #expect(h.platform.checkout.largestCompletion > 1, "the sessions were recorded together")
        }
    }

    /// Once a checkout alone finds its variant sold out, the variant's next buyers run alone: no
    /// batch of theirs fails on its seats and then runs each of them again.
    @Test(arguments: TestEngines.all)
    func aSoldOutVariantsBuyersAreRefusedWithoutBatches(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine, quota: 5) { h in
            var statuses: [Int] = []
            for index in 0..<6 { statuses.append(try await h.placeOrder(body: h.cart(email: "buyer\(index)@example.com")).status.code) }
            #expect(statuses == Array(repeating: 201, count: 5) + [409])
            #expect(h.platform.checkout.largestBatch == 1)
            let refused = try await Self.placeAtOnce(20, h)
            #expect(refused == Array(repeating: 409, count: 20))
            #expect(h.platform.checkout.largestBatch == 1, "no batch formed")
            #expect(h.platform.checkout.batchesFailed == 0)
            #expect(try await h.variantCounts() == (0, 5))
            #expect(try await Self.count("SELECT COUNT(*) AS n FROM orders", h) == 5)
        }
    }

    /// A cart refused more seats than are left says nothing of the variant being sold out: the
    /// buyers after it still share batches.
    @Test(arguments: TestEngines.all)
    func aCartAskingForMoreThanIsLeftLeavesTheBatchesAlone(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine, quota: 30) { h in
            let refused = try await h.placeOrder(body: h.cart(quantity: 31))
            #expect(refused.status.code == 409)
            let statuses: [Int] = try await Self.placeAtOnce(20, h)
            #expect(statuses == Array(repeating: 201, count: 20))
            #expect(h.platform.checkout.largestBatch > 1, "the buyers after it shared batches")
        }
    }

    /// Keys claimed together answer as keys claimed alone: at once, ten buyers send their orders
    /// again with their keys (each replays its first answer), one reuses her key with another
    /// cart (422), ten place new ones, and one sends the same request twice (one order; the other
    /// is told it is in progress, or replays it).
    @Test(arguments: TestEngines.all)
    func keysClaimedTogetherAnswerAsKeysClaimedAlone(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let body = { (index: Int) in h.cart(email: "buyer\(index)@example.com") }
            let first = try await Self.placeAtOnce((0..<10).map { ("key-\($0)", body($0)) }, h)
            #expect(first.values.map(\.status.code) == Array(repeating: 201, count: 10))
            let again = try await Self.placeAtOnce(
                (0..<10).map { ("key-\($0)", body($0)) } + [("key-0", h.cart(quantity: 2, email: "buyer0@example.com"))]
                    + (10..<20).map { ("key-\($0)", body($0)) } + [("key-20", body(20)), ("key-20", body(20))], h)
            for index in 0..<10 {
                #expect(again[index]?.status.code == 201 && again[index]?.body == first[index]?.body, "key-\(index) replays")
            }
            #expect(again[10]?.status.code == 422, "a key used with another cart")
            for index in 11..<21 { #expect(again[index]?.status.code == 201) }
            let twice = [again[21], again[22]].compactMap { $0 }
            #expect(twice.filter { $0.status.code == 201 }.count >= 1)
            #expect(twice.allSatisfy { $0.status.code == 201 || $0.status.code == 409 })
            if twice.allSatisfy({ $0.status.code == 201 }) { #expect(twice[0].body == twice[1].body) }
            #expect(try await Self.count("SELECT COUNT(*) AS n FROM orders", h) == 21)
            #expect(try await Self.count("SELECT COUNT(*) AS n FROM idempotency_keys WHERE state = 'done' AND response_status = 201", h) == 21)
            #expect(try await h.variantCounts() == (0, 21))
            #expect(h.platform.checkout.largestBatch > 1, "the keys were claimed in batches")
        }
    }

    /// The replies to `requests` (key and body) sent at once, by their index.
    static func placeAtOnce(_ requests: [(key: String, body: String)], _ h: CheckoutHarness) async throws -> [Int: APITestClient.Reply] {
        try await withThrowingTaskGroup(of: (Int, APITestClient.Reply).self) { group in
            for (index, request) in requests.enumerated() {
                group.addTask { (index, try await h.placeOrder(key: request.key, body: request.body)) }
            }
            return try await group.reduce(into: [Int: APITestClient.Reply]()) { $0[$1.0] = $1.1 }
        }
    }

    /// The statuses of `count` orders of one seat placed at once, sorted.
    static func placeAtOnce(_ count: Int, _ h: CheckoutHarness) async throws -> [Int] {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<count {
                group.addTask { try await h.placeOrder(body: h.cart(email: "buyer\(index)@example.com")).status.code }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }.sorted()
        }
    }

    static func count(_ query: String, _ h: CheckoutHarness) async throws -> Int64 {
        try await h.database.read { sql in try await sql.raw("\(unsafeRaw: query)").first(decoding: Count.self)?.n ?? -1 }
    }
}
