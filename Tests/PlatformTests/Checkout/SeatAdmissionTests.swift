import Platform
import PlatformTesting
import Synchronization
import Testing

/// The queue in front of a variant's seat-taking transactions, without a database: how many run,
/// who goes next, and that carts over the same variants never wait on each other.
@Suite(.timeLimit(.minutes(1))) struct SeatAdmissionTests {
    static let now = Timestamp(seconds: 1_780_000_000)
    let a = VariantID.generate(at: now), b = VariantID.generate(at: now)

    @Test func aVariantAdmitsItsLimitAndTheRestInTheOrderTheyCame() async throws {
        let admission = SeatAdmission(limit: 2)
        let entered = Shared<[Int]>([])
        let gates = (0..<5).map { _ in Gate() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Opened however the test ends: a failure must not leave the group waiting for ever.
            defer { gates.forEach { $0.open() } }
            for buyer in 0..<5 {
                group.addTask {
                    try await admission.admitted(to: [a]) {
                        entered.value.withLock { $0.append(buyer) }
                        await gates[buyer].wait()
                    }
                }
                // One at a time, so that the order they came in is known.
                try await until { admission.count(a).running + admission.count(a).waiting == buyer + 1 }
                if buyer < 2 { try await until { entered.value.withLock { $0.count } == buyer + 1 } }
            }
            #expect(admission.count(a) == (running: 2, waiting: 3))
            try await until { entered.value.withLock { $0 } == [0, 1] }
            gates[1].open()
            try await until { entered.value.withLock { $0 } == [0, 1, 2] }
            #expect(admission.count(a) == (running: 2, waiting: 2))
            gates[0].open()
            try await until { entered.value.withLock { $0 } == [0, 1, 2, 3] }
            gates[2].open()
            try await until { entered.value.withLock { $0 } == [0, 1, 2, 3, 4] }
            gates[3].open()
            gates[4].open()
            try await group.waitForAll()
        }
        #expect(admission.count(a) == (running: 0, waiting: 0))
        #expect(admission.variantsQueued == 0)
    }

    @Test func anotherVariantDoesNotWait() async throws {
        let admission = SeatAdmission(limit: 1)
        try await whileOneRuns(a, in: admission) {
            let ran = try await admission.admitted(to: [b]) { admission.count(b) }
            #expect(ran == (running: 1, waiting: 0))
            #expect(admission.count(a) == (running: 1, waiting: 0))
        }
    }

    @Test func aFailedCheckoutGivesItsPlaceToTheNext() async throws {
        struct Refused: Error {}
        let admission = SeatAdmission(limit: 1)
        await #expect(throws: Refused.self) { try await admission.admitted(to: [a, b]) { throw Refused() } }
        #expect(admission.count(a) == (running: 0, waiting: 0))
        #expect(admission.count(b) == (running: 0, waiting: 0))
        #expect(try await admission.admitted(to: [a]) { 7 } == 7)
        #expect(admission.variantsQueued == 0)
    }

    /// A cart naming its variants in either order, or one twice, takes them in one order: with one
    /// place per variant, opposite orders would otherwise each hold one and wait for the other.
    @Test func cartsOverTheSameVariantsInOppositeOrdersAllGetThrough() async throws {
        let admission = SeatAdmission(limit: 1)
        let gate = Gate()
        let done = Shared(0)
        // Unstructured, so that carts stuck waiting on each other fail the test instead of hanging it.
        _ = Task { try await admission.admitted(to: [a, b]) { await gate.wait() } }
        try await until { admission.count(b).running == 1 }
        // Queued on a: unsorted, the second would take b and wait for a, the first a and wait for b.
        _ = Task { try await admission.admitted(to: [a, b]) { done.value.withLock { $0 += 1 } } }
        try await until { admission.count(a).waiting == 1 }
        _ = Task { try await admission.admitted(to: [b, a]) { done.value.withLock { $0 += 1 } } }
        try await until { admission.count(a).waiting == 2 }
        for buyer in 0..<300 {
            let cart = buyer % 3 == 0 ? [a, b] : buyer % 3 == 1 ? [b, a] : [b, b, a]
            _ = Task {
                try await admission.admitted(to: cart) {
                    #expect(admission.count(a).running == 1 && admission.count(b).running == 1)
                    await Task.yield()
                    done.value.withLock { $0 += 1 }
                }
            }
        }
        gate.open()
        try await until { done.value.withLock { $0 } == 302 && admission.variantsQueued == 0 }
    }

    /// A checkout behind stuck ones leaves the queue after `maxWait` with a 503, runs nothing, and
    /// gives up the places it held, while the one ahead stays stuck.
    @Test func aCheckoutWaitingTooLongIsRefused() async throws {
        try #require(a < b)
        // Long enough that the test sees the waiter queued on a loaded machine.
        let admission = SeatAdmission(limit: 1, maxWait: .seconds(2))
        try await whileOneRuns(b, in: admission) {
            let start = ContinuousClock.now
            let late = outcome { try await admission.admitted(to: [a, b]) { _ = Issue.record("ran after waiting too long") } }
            try await until { admission.count(b).waiting == 1 }
            #expect(admission.count(a) == (running: 1, waiting: 0))
            try await until { late.value.withLock { $0 } != nil }
            #expect((late.value.withLock { $0 } as? DatabaseUnavailable)?.detail.contains("the checkouts ahead of this one") == true)
            #expect(ContinuousClock.now - start >= .seconds(2))
            #expect(admission.count(a) == (running: 0, waiting: 0))
            #expect(admission.count(b) == (running: 1, waiting: 0))
        }
        #expect(admission.variantsQueued == 0)
        #expect(try await admission.admitted(to: [a, b]) { 1 } == 1)
    }

    /// A queue that moves keeps its waiters, however much longer than `maxWait` the last one waits.
    @Test func aSlowQueueThatMovesRefusesNobody() async throws {
        let admission = SeatAdmission(limit: 1, maxWait: .seconds(2))
        let start = ContinuousClock.now
        let ends = (0..<6).map { _ in
            outcome { try await admission.admitted(to: [a]) { try? await Task.sleep(for: .milliseconds(700)) } }
        }
        try await until { ends.allSatisfy { $0.value.withLock { $0 } != nil } }
        #expect(ContinuousClock.now - start >= .seconds(4))
        #expect(ends.allSatisfy { $0.value.withLock { $0 } is Succeeded })
        #expect(admission.variantsQueued == 0)
    }

    /// A checkout cancelled while it waits leaves the queue at once and runs nothing.
    @Test func aCheckoutCancelledWhileWaitingRunsNothing() async throws {
        let admission = SeatAdmission(limit: 1)
        try await whileOneRuns(a, in: admission) {
            let gone = Task { try await admission.admitted(to: [a]) { _ = Issue.record("ran after being cancelled") } }
            let goneOutcome = outcome { try await gone.value }
            try await until { admission.count(a).waiting == 1 }
            gone.cancel()
            try await until { goneOutcome.value.withLock { $0 } != nil }
            #expect(goneOutcome.value.withLock { $0 } is CancellationError)
            #expect(admission.count(a) == (running: 1, waiting: 0))
            let already = outcome {
                withUnsafeCurrentTask { $0?.cancel() }
                try await admission.admitted(to: [a]) { _ = Issue.record("ran though cancelled before it queued") }
        }
        try await until { already.value.withLock { $0 } != nil }
        #expect(already.value.withLock { $0 } is CancellationError)
        #expect(admission.count(a) == (running: 1, waiting: 0))
        }
        #expect(admission.variantsQueued == 0)
    }
}

/// The checkout itself waits at the admission, on both engines. Outside the suite above: it waits
/// for a test database, which has no place in that suite's time limit.
@Suite struct SeatAdmissionCheckoutTests {
    /// The checkout itself waits: with its variant's places all taken, an order of two lines (one
    /// line joins a batch instead, `CheckoutBatchesTests`) is neither written nor holding seats
    /// until one is given up.
    @Test(arguments: TestEngines.all)
    func anOrderWaitsForAPlaceBeforeItsTransaction(engine: DatabaseEngine) async throws {
        try await CheckoutHarness.run(engine) { h in
            let admission = h.platform.checkout.admission, variant = try #require(VariantID(h.variantID))
            let other = try await h.client.createVariant(h.organizerKey, event: h.eventID, name: "Balcony")
            let twoLines = #"{"lines":[{"variant_id":"\#(h.variantID)","quantity":1},{"variant_id":"\#(other)","quantity":1}],"#
                + #""email":"buyer@example.com","provider":"test"}"#
            let gate = Gate()
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Opened however the test ends: a failure must not leave the group waiting for ever.
                defer { gate.open() }
                for _ in 0..<admission.limit { group.addTask { try await admission.admitted(to: [variant]) { await gate.wait() } } }
                try await until { admission.count(variant).running == admission.limit }
                let status = Shared<Int?>(nil)
                let order = Task {
                    let reply = try await h.placeOrder(body: twoLines)
                    status.value.withLock { $0 = reply.status.code }
                }
                defer { order.cancel() }
                try await until { admission.count(variant).waiting == 1 }
                try await Task.sleep(for: .milliseconds(50))
                #expect(try await h.variantCounts() == (0, 0))
                gate.open()
                try await until { status.value.withLock { $0 } != nil }
                #expect(status.value.withLock { $0 } == 201)
                #expect(try await h.variantCounts() == (0, 1))
                try await group.waitForAll()
            }
            #expect(admission.variantsQueued == 0)
        }
    }
}

/// Runs `body` while one checkout of `variant` holds its place, then lets that checkout end.
private func whileOneRuns(_ variant: VariantID, in admission: SeatAdmission, _ body: () async throws -> Void) async throws {
    let gate = Gate()
    try await withThrowingTaskGroup(of: Void.self) { group in
        // Opened however the test ends: a failure must not leave the group waiting for ever.
        defer { gate.open() }
        group.addTask { try await admission.admitted(to: [variant]) { await gate.wait() } }
        try await until { admission.count(variant).running == 1 }
        try await body()
        gate.open()
        try await group.waitForAll()
    }
}
