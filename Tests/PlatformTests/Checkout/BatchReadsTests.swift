@testable import Platform
import Synchronization
import Testing

@Suite struct BatchReadsTests {
    /// Within a batch a key is read once; outside one, every time; a failed read keeps nothing.
    @Test func aBatchReadsEachKeyOnce() async throws {
        let loads = Mutex(0)
        @Sendable func read(_ key: String) async throws -> String {
            try await BatchReads.value(key) {
                loads.withLock { $0 += 1 }
                return "value of \(key)"
            }
        }
        _ = try await read("a")
        _ = try await read("a")
        #expect(loads.withLock { $0 } == 2, "outside a batch every read loads")
        try await BatchReads.$current.withValue(BatchReads()) { () async throws in
            #expect(try await read("a") == "value of a")
            #expect(try await read("a") == "value of a")
            #expect(try await read("b") == "value of b")
            struct Refused: Error {}
            await #expect(throws: Refused.self) { try await BatchReads.value("c") { () async throws -> String in throw Refused() } }
            #expect(try await read("c") == "value of c")
        }
        #expect(loads.withLock { $0 } == 5, "a and b once each, c once after its failed read")
    }

    /// A read whose value may be nil (a live event that may not exist) loads on its first read
    /// and keeps a nil it found, as any other value.
    @Test func anOptionalValueIsLoadedOnceToo() async throws {
        let loads = Mutex(0)
        @Sendable func read(_ key: String) async throws -> String? {
            try await BatchReads.value(key) { () async throws -> String? in
                loads.withLock { $0 += 1 }
                return key == "missing" ? nil : "value of \(key)"
            }
        }
        try await BatchReads.$current.withValue(BatchReads()) { () async throws in
            #expect(try await read("a") == "value of a")
            #expect(try await read("a") == "value of a")
            #expect(try await read("missing") == nil)
            #expect(try await read("missing") == nil)
        }
        #expect(loads.withLock { $0 } == 2)
    }
}
