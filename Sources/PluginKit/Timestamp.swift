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

    /// Reads an RFC 3339 date-time (`2026-05-01T19:30:00Z`, `2026-05-01t21:30:00.250+02:00`) and
    /// nothing else: a real calendar day, hours 00-23, minutes and seconds 00-59 (no leap second),
    /// an offset within ±23:59, fractions of any length (kept to the millisecond, cut, not rounded).
    /// As JSON Schema's `date-time` format is checked (Python's rfc3339-validator); Foundation's
    /// parser took 12:99 for 13:39 and ignored text after the time.
    public init?(rfc3339 text: String) {
        guard let match = text.wholeMatch(of: Self.shape) else { return nil }
        let (year, month, day) = (Int64(match.1)!, Int64(match.2)!, Int64(match.3)!)
        let (hour, minute, second) = (Int64(match.4)!, Int64(match.5)!, Int64(match.6)!)
        guard (1...12).contains(month), (1...Self.days(inMonth: month, of: year)).contains(day), hour <= 23, minute <= 59, second <= 59 else {
            return nil
        }
        var offset: Int64 = 0
        if let sign = match.8, let offsetHours = match.9.flatMap({ Int64($0) }), let offsetMinutes = match.10.flatMap({ Int64($0) }) {
            guard offsetHours <= 23, offsetMinutes <= 59 else { return nil }
            offset = (sign == "-" ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60
        }
        let millis = Int64((String(match.7 ?? "") + "000").prefix(3))!
        let seconds = Self.daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3_600 + minute * 60 + second - offset
        self.milliseconds = seconds * 1_000 + millis
    }

    nonisolated(unsafe) private static let shape =
        /([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?(?:[Zz]|([+\-])([0-9]{2}):([0-9]{2}))/

    static func days(inMonth month: Int64, of year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to a day of the proleptic Gregorian calendar (Howard Hinnant's
    /// days_from_civil, public domain).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
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
