import Foundation
import Synchronization

/// Times as people read them (emails, pages, exports): the local time of a zone with its UTC
/// offset, so the hour that repeats when clocks go back is never ambiguous.
package enum LocalTime {
    /// "Sunday, 31 October 2027, 02:30 CEST (UTC+02:00, Europe/Berlin)"; the zone's abbreviation
    /// only where it has one in English ("10:30 (UTC+09:00, Asia/Tokyo)"), and "01:30 UTC" in UTC.
    /// An unknown zone is shown as UTC.
    package static func text(_ time: Timestamp, timezone: String) -> String {
        let zone = self.zone(timezone)
        let date = Date(timeIntervalSince1970: Double(time.milliseconds) / 1000)
        let formatters = self.formatters(zone)
        let local = formatters.local.string(from: date)
        if zone.identifier == "UTC" || zone.identifier == "GMT" { return "\(local) UTC" }
        let abbreviation = formatters.abbreviation.string(from: date)
        let named = abbreviation.hasPrefix("GMT") || abbreviation.hasPrefix("UTC") ? "" : " \(abbreviation)"
        return "\(local)\(named) (UTC\(offset(zone.secondsFromGMT(for: date))), \(zone.identifier))"
    }

    /// Setting up an ICU formatter costs far more than formatting with it (a third of a confirmation
    /// email's CPU), so each zone's pair is made once. `DateFormatter` locks its own state, so texts of
    /// one zone are made one at a time: far cheaper than a formatter each. Zones are a few hundred at
    /// most, and the cache starts over past that.
    private static let cache = Mutex<[String: (local: DateFormatter, abbreviation: DateFormatter)]>([:])

    private static func formatters(_ zone: TimeZone) -> (local: DateFormatter, abbreviation: DateFormatter) {
        cache.withLock { cache in
            if let found = cache[zone.identifier] { return found }
            func formatter(_ pattern: String) -> DateFormatter {
                let formatter = DateFormatter()
                formatter.locale = Locale(identifier: "en_GB")
                formatter.timeZone = zone
                formatter.dateFormat = pattern
                return formatter
            }
            let made = (local: formatter("EEEE, d MMMM yyyy, HH:mm"), abbreviation: formatter("zzz"))
            if cache.count >= 1_000 { cache.removeAll() }
            cache[zone.identifier] = made
            return made
        }
    }

    /// RFC 3339 in the zone's offset at that time, to the second: "2027-10-31T02:30:00+02:00" (for
    /// exports read by people and spreadsheets alike). No formatter: the local clock is the UTC
    /// one moved by the offset, written as `Timestamp` writes it.
    package static func rfc3339(_ time: Timestamp, timezone: String) -> String {
        let seconds = zone(timezone).secondsFromGMT(for: Date(timeIntervalSince1970: Double(time.milliseconds) / 1000))
        let local = Timestamp(milliseconds: time.milliseconds + Int64(seconds) * 1000).rfc3339
        return local.prefix(19) + offset(seconds)
    }

    static func zone(_ identifier: String) -> TimeZone { TimeZone(identifier: identifier) ?? TimeZone(identifier: "UTC")! }

    /// "+02:00", "-04:00", "+05:30".
    static func offset(_ seconds: Int) -> String {
        let minutes = abs(seconds) / 60
        let text = String(format: "%02d:%02d", minutes / 60, minutes % 60)
        return (seconds < 0 ? "-" : "+") + text
    }

    /// What an HTML `datetime-local` field shows for `time` in the zone: "2027-10-31T02:30".
    package static func inputValue(_ time: Timestamp, timezone: String) -> String {
        String(rfc3339(time, timezone: timezone).prefix(16))
    }

    /// The moment a `datetime-local` value ("2027-10-31T02:30", seconds optional) names in the zone;
    /// nil for anything else. A wall time that a clock change skips is read as the formatter
    /// resolves it (moved forward).
    package static func parseInput(_ text: String, timezone: String) -> Timestamp? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone(timezone)
        formatter.dateFormat = text.count == 19 ? "yyyy-MM-dd'T'HH:mm:ss" : "yyyy-MM-dd'T'HH:mm"
        formatter.isLenient = false
        guard text.count == 16 || text.count == 19, let date = formatter.date(from: text) else { return nil }
        return Timestamp(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded()))
    }
}
