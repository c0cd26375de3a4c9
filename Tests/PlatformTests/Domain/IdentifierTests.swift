import Platform
import Testing

@Suite struct IdentifierTests {
    @Test func prefixedAndWellFormed() {
        let id = EventID.generate(at: Timestamp(milliseconds: 1_700_000_000_000))
        #expect(id.rawValue.hasPrefix("evt_"))
        #expect(id.rawValue.count == 30)
        #expect(EventID(id.rawValue) == id)
        #expect(OrganizerID(id.rawValue) == nil, "an event id is not an organizer id")
        #expect(EventID("evt_short") == nil)
        #expect(EventID("evt_" + String(repeating: "u", count: 26)) == nil, "u is not in the Crockford alphabet")
        let body = id.rawValue.dropFirst(4)
        #expect(EventID("evt_" + body.uppercased()) == nil, "IDs are lower case")
        #expect(EventID("evt-" + body) == nil)
        #expect(EventID("evt_" + body + "0") == nil)
        #expect(EventID("evt_" + String(repeating: "é", count: 13)) == nil, "26 bytes that are not 26 symbols")
        #expect(EventID("evt_" + String(repeating: "é", count: 26)) == nil)
    }

    @Test func sortByCreationTime() {
        var previous = VariantID.generate(at: Timestamp(milliseconds: 0))
        for ms in stride(from: Int64(1), to: 5_000_000_000_000, by: 97_000_000_001) {
            let next = VariantID.generate(at: Timestamp(milliseconds: ms))
            #expect(previous < next)
            previous = next
        }
    }

    @Test func distinctWithinOneMillisecond() {
        let time = Timestamp(milliseconds: 1_700_000_000_000)
        let ids = Set((0..<10_000).map { _ in OrganizerID.generate(at: time) })
        #expect(ids.count == 10_000)
    }
}

@Suite struct TimestampTests {
    @Test func parsesRFC3339WithOffsetsAndFractions() throws {
        #expect(Timestamp(rfc3339: "2026-05-01T19:30:00Z")?.milliseconds == 1_777_663_800_000)
        #expect(Timestamp(rfc3339: "2026-05-01T21:30:00+02:00")?.milliseconds == 1_777_663_800_000)
        #expect(Timestamp(rfc3339: "2026-05-01T19:30:00.123Z")?.milliseconds == 1_777_663_800_123)
        #expect(Timestamp(rfc3339: "2026-05-01") == nil)
        #expect(Timestamp(rfc3339: "tomorrow") == nil)
    }

    @Test func formatsInUTC() {
        #expect(Timestamp(milliseconds: 1_777_663_800_000).rfc3339 == "2026-05-01T19:30:00Z")
        #expect(Timestamp(milliseconds: 1_777_663_800_007).rfc3339 == "2026-05-01T19:30:00.007Z")
        #expect(Timestamp(milliseconds: -1).rfc3339 == "1969-12-31T23:59:59.999Z")
    }
}
