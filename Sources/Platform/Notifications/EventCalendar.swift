import Foundation
import PluginKit

/// An event as an iCalendar file (RFC 5545) for "add to calendar": one VEVENT, its times in UTC
/// (`DTSTART:20271031T003000Z`), so no calendar can read them in the wrong zone.
package enum EventCalendar {
    /// - Parameters:
    ///   - stamp: when the file was made (`DTSTAMP`).
    ///   - host: the platform's host, which makes the `UID` unique to it.
    package static func ics(_ event: Event, organizer: String, host: String, stamp: Timestamp) -> String {
        var lines = [
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//\(escape(host))//tickets//EN", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
            "BEGIN:VEVENT", "UID:\(event.id.rawValue)@\(escape(host))", "DTSTAMP:\(utc(stamp))", "DTSTART:\(utc(event.startsAt))",
        ]
        if let end = event.endsAt { lines.append("DTEND:\(utc(end))") }
        lines.append("SUMMARY:\(escape(event.title))")
        if let venue = event.venue { lines.append("LOCATION:\(escape(venue))") }
        lines += ["ORGANIZER;CN=\(quoted(organizer)):mailto:noreply@\(escape(host))", "END:VEVENT", "END:VCALENDAR"]
        return lines.map(fold).joined(separator: "\r\n") + "\r\n"
    }

    /// `20271031T003000Z`.
    static func utc(_ time: Timestamp) -> String {
        // Not through `replacingOccurrences`: every confirmation email stamps three of these.
        String(decoding: time.rfc3339.utf8.prefix(19).filter { $0 != UInt8(ascii: "-") && $0 != UInt8(ascii: ":") }, as: UTF8.self) + "Z"
    }

    /// TEXT values: backslash, semicolon and comma escaped, line breaks as \n (RFC 5545 §3.3.11).
    static func escape(_ text: String) -> String {
        // Most values need nothing: no byte below a space, DEL, a C1 control's lead byte (0xC2
        // 0x80-0x9F), a backslash, semicolon or comma.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 || $0 == 0x5C || $0 == 0x3B || $0 == 0x2C }) { return text }
        var out = ""
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case ";": out += "\\;"
            case ",": out += "\\,"
            case "\n", "\r\n", "\r": out += "\\n"
            default:
                // Other control characters have no place in a content line.
                if character.unicodeScalars.allSatisfy({ $0.properties.generalCategory != .control }) { out.append(character) }
            }
        }
        return out
    }

    /// A parameter value: double quotes around it, none inside (RFC 5545 §3.1).
    static func quoted(_ text: String) -> String { "\"" + escape(text).replacingOccurrences(of: "\"", with: "'") + "\"" }

    /// Lines longer than 75 octets are folded: CRLF and a space, never inside a character (§3.1).
    static func fold(_ line: String) -> String {
        if line.utf8.count <= 75 { return line }
        var folded = "", width = 0
        for character in line {
            let size = String(character).utf8.count
            if width + size > 75 {
                folded += "\r\n "
                width = 1
            }
            folded.append(character)
            width += size
        }
        return folded
    }
}

/// Attaches a calendar file to an email (`InlineImage` with renderer `calendar` and an empty content id).
struct CalendarAttachment: InlineImageRenderer {
    let name = "calendar"
    let contentType = "text/calendar; charset=utf-8; method=PUBLISH"
    func render(_ value: String) throws -> [UInt8] { Array(value.utf8) }
}
