import NIOCore
import Platform
import PlatformTesting
import Synchronization
import Testing

@Suite struct PublicEventCacheTests {
    private static let start = Timestamp(milliseconds: 1_780_000_000_000)
    private static let first = EventID.generate(at: start), second = EventID.generate(at: start), third = EventID.generate(at: start)

    /// Kept until its lifetime ends or a change is noted; a failed fill keeps nothing.
    @Test func anAnswerIsKeptUntilItsLifetimeEndsOrTheCatalogChanges() async throws {
        let clock = ManualClock(Self.start), changes = Mutex(0), fills = Mutex(0)
        let cache = PublicEventCache(clock: clock, lifetime: 1_000, changes: { changes.withLock { $0 } })
        @Sendable func read(_ id: EventID) async throws -> String {
            let body = try await cache.answer(id) {
                let n = fills.withLock { $0 += 1; return $0 }
                return ByteBuffer(string: "\(id == Self.first ? "first" : id == Self.second ? "second" : "third") #\(n)")
            }
            return String(buffer: body)
        }
        #expect(try await read(Self.first) == "first #1")
        #expect(try await read(Self.first) == "first #1", "kept")
        #expect(try await read(Self.second) == "second #2", "kept by event")
        clock.set(Timestamp(milliseconds: Self.start.milliseconds + 999))
        #expect(try await read(Self.first) == "first #1", "kept for 999 ms")
        clock.set(Timestamp(milliseconds: Self.start.milliseconds + 1_000))
        #expect(try await read(Self.first) == "first #3", "refilled at 1,000 ms")
        changes.withLock { $0 += 1 }
        #expect(try await read(Self.first) == "first #4", "refilled after a change")
        #expect(try await read(Self.second) == "second #5")
        changes.withLock { $0 -= 1 }
        #expect(try await read(Self.first) == "first #4", "a reader that saw an older count takes what a newer one kept")
        changes.withLock { $0 += 1 }
        clock.set(Self.start)
        #expect(try await read(Self.first) == "first #6", "a clock set back keeps nothing older than now")

        struct Missing: Error {}
        await #expect(throws: Missing.self) { _ = try await cache.answer(Self.third) { throw Missing() } }
        await #expect(throws: Missing.self) { _ = try await cache.answer(Self.third) { throw Missing() } }
        #expect(try await read(Self.third) == "third #7", "a failed fill keeps nothing: the next reader fills")
    }

    /// At most `capacity` events are kept: a full cache drops what expired, then everything.
    @Test func aFullCacheKeepsNoMoreThanItsCapacity() async throws {
        let clock = ManualClock(Self.start), fills = Mutex(0)
        let cache = PublicEventCache(clock: clock, lifetime: 1_000, capacity: 2, changes: { 0 })
        @Sendable func read(_ id: EventID) async throws {
            _ = try await cache.answer(id) { fills.withLock { $0 += 1 }; return ByteBuffer(string: "kept") }
        }
        try await read(Self.first)
        try await read(Self.second)
        try await read(Self.third)
        #expect(fills.withLock { $0 } == 3)
        try await read(Self.third)
        #expect(fills.withLock { $0 } == 3, "the newest is kept")
        try await read(Self.first)
        #expect(fills.withLock { $0 } == 4, "the full cache, nothing expired, was emptied for the third")

        func at(_ milliseconds: Int64) { clock.set(Timestamp(milliseconds: Self.start.milliseconds + milliseconds)) }
        at(1_100)
        try await read(Self.second)
        at(1_500)
        try await read(Self.third)
        #expect(fills.withLock { $0 } == 6, "the third and the first had expired")
        at(2_150)
        try await read(Self.first)
        #expect(fills.withLock { $0 } == 7)
        try await read(Self.third)
        #expect(fills.withLock { $0 } == 7, "the second, expired, made room; the third, fresh, was kept")
    }

    /// A reader that comes while the answer is being filled waits for that fill instead of reading too.
    @Test func readersDuringAFillWaitForIt() async throws {
        let arrived = Mutex(0), fills = Mutex(0)
        let cache = PublicEventCache(clock: ManualClock(Self.start), changes: { arrived.withLock { $0 += 1 }; return 0 })
        let (gate, open) = AsyncStream<Void>.makeStream()
        @Sendable func slowFill() async throws -> ByteBuffer {
            fills.withLock { $0 += 1 }
            for await _ in gate { break }
            return ByteBuffer(string: "filled once")
        }
        @Sendable func quickFill() async throws -> ByteBuffer {
            fills.withLock { $0 += 1 }
            return ByteBuffer(string: "filled again")
        }
        let first = Task { @Sendable in try await cache.answer(Self.first, fill: slowFill) }
        for _ in 0..<5_000 where fills.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(1)) }
        let second = Task { @Sendable in try await cache.answer(Self.first, fill: quickFill) }
        for _ in 0..<5_000 where arrived.withLock({ $0 }) < 2 { try await Task.sleep(for: .milliseconds(1)) }
        try await Task.sleep(for: .milliseconds(50))
        open.yield()
        #expect(String(buffer: try await first.value) == "filled once")
        #expect(String(buffer: try await second.value) == "filled once")
        #expect(fills.withLock { $0 } == 1)
    }
}
