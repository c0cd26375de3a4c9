import Foundation

/// A point in time in whole milliseconds since the Unix epoch: what the database stores, with no
/// floating point. On the wire it is an RFC 3339 string in UTC.
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    public init(seconds: Int64) { self.milliseconds = seconds * 1000 }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.milliseconds < rhs.milliseconds }

    public func adding(minutes: Int64) -> Timestamp { Timestamp(milliseconds: milliseconds + minutes * 60_000) }

    public func adding(seconds: Int64) -> Timestamp { Timestamp(milliseconds: milliseconds + seconds * 1000) }

    /// Accepts RFC 3339 with or without fractional seconds and with any offset
    /// (`2026-05-01T19:30:00Z`, `2026-05-01T21:30:00.250+02:00`); nothing before or after it.
    public init?(rfc3339 text: String) {
        // Foundation's parser stops at the end of a date-time and ignores what follows.
        guard text.wholeMatch(of: /[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+\-][0-9]{2}:[0-9]{2})/) != nil else {
            return nil
        }
        let date = (try? Date(text, strategy: .iso8601))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        guard let date else { return nil }
        // Rounded through microseconds so that ".123" does not come back as 122 ms.
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        self.milliseconds = Int64(micros / 1000)
    }

    public var rfc3339: String {
        let seconds = milliseconds.floorDivided(by: 1000)
        let millis = milliseconds - seconds * 1000
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        let base = date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
        guard millis != 0 else { return base }
        let fraction = String(millis)
        return base.dropLast() + "." + String(repeating: "0", count: 3 - fraction.count) + fraction + "Z"
    }

    public var description: String { rfc3339 }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let parsed = Timestamp(rfc3339: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(text)' is not an RFC 3339 date-time such as 2026-05-01T19:30:00Z")
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rfc3339)
    }
}

extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

/// Where time comes from, so that anything that depends on it can be tested with a fixed clock.
public protocol WallClock: Sendable {
    func now() -> Timestamp
}

public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(milliseconds: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }
}
