import Foundation
import Platform
import Testing

/// Server rules made exact to what the API document states (found by schemathesis): nothing after
/// a date-time, lengths in code points, no control characters in an email, origins as the
/// pattern says.
@Suite struct ContractRuleTests {
    @Test func dateTimesAreWholeRFC3339() {
        #expect(Timestamp(rfc3339: "2026-05-01T19:30:00Z") != nil)
        #expect(Timestamp(rfc3339: "2026-05-01T21:30:00.250+02:00")?.milliseconds == Timestamp(rfc3339: "2026-05-01T19:30:00.250Z")?.milliseconds)
        for text in ["0299-01-05T03:31:25-00:13*", "2026-05-01T19:30:00Z ", "2026-05-01 19:30:00Z", "2026-05-01", "x2026-05-01T19:30:00Z",
                     "2024-01-01T12:99:00Z", "2026-02-29T10:00:00Z", "2026-04-31T10:00:00Z", "2026-05-01T24:00:00Z", "2026-05-01T10:00:60Z",
                     "2026-05-01T10:00:00+24:00"] {
            #expect(Timestamp(rfc3339: text) == nil, "\(text)")
        }
        // What JSON Schema's date-time format takes, the server takes.
        #expect(Timestamp(rfc3339: "2024-02-29t10:00:00z")?.rfc3339 == "2024-02-29T10:00:00Z")
        #expect(Timestamp(rfc3339: "2026-05-01T21:30:00.123456+02:00")?.rfc3339 == "2026-05-01T19:30:00.123Z")
        #expect(Timestamp(rfc3339: "0315-04-12T23:15:39.396893+19:27") != nil)
        #expect(Timestamp(rfc3339: "1969-12-31T23:59:59.500Z")?.milliseconds == -500)
        #expect(Timestamp(rfc3339: "1970-01-01T00:00:00Z")?.milliseconds == 0)
        #expect(Timestamp(rfc3339: "2000-03-01T00:00:00Z")?.milliseconds == 951_868_800_000)
    }

    @Test func textLengthsAreCountedInCodePoints() {
        // One grapheme of two code points: 150 of them are 300 code points, over a limit of 200.
        let flags = String(repeating: "\u{1F44D}\u{1F3FB}", count: 150)
        #expect(flags.count == 150 && flags.unicodeScalars.count == 300)
        #expect(!TextRules.isPresent(flags, max: 200))
        #expect(TextRules.isPresent(String(repeating: "a", count: 200), max: 200))
        #expect(!TextRules.isPresent("tab\there", max: 200), "control characters")
    }

    @Test func emailsHaveNoControlCharacters() {
        #expect(TextRules.isEmail("buyer@example.com"))
        #expect(!TextRules.isEmail("bu\u{10}yer@example.com"))
        #expect(!TextRules.isEmail("buyer@exa\u{85}mple.com"))
        // 254 code points at most, as the document's maxLength counts: a modifier joins the grapheme before it.
        let local = "a\u{1F3FB}" + String(repeating: "b", count: 241)
        #expect(!TextRules.isEmail(local + "@example.com"), "255 code points in 254 graphemes")
        #expect(TextRules.isEmail(String(repeating: "b", count: 242) + "@example.com"))
    }

    @Test func originsAreSchemeHostAndPort() {
        #expect(Event.isOrigin("https://shop.example.com") && Event.isOrigin("http://127.0.0.1:8080"))
        #expect(Event.isOrigin("https://shop.example.com:65535") && Event.isOrigin("http://localhost:10000"))
        for text in ["https://a_b.example", "https://shop.example.com/", "ftp://shop.example.com", "https://user@shop.example.com",
                     "https://shop.example.com:65536", "https://shop.example.com:0", "HTTPS://shop.example.com"] {
            #expect(!Event.isOrigin(text), "\(text)")
        }
    }
}
