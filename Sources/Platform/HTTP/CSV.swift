import Foundation

/// RFC 4180 text: CRLF line ends; a field with a comma, quote or line break is quoted, its
/// quotes doubled. A field that a spreadsheet would run as a formula is prefixed with `'`.
package enum CSV {
    package static func document(header: [String], rows: [[String]]) -> String {
        ([header] + rows).map { $0.map(field).joined(separator: ",") + "\r\n" }.joined()
    }

    package static func field(_ text: String) -> String {
        let safe = text.first.map { "=+-@".contains($0) && Int64(text) == nil } == true ? "'" + text : text
        guard safe.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return safe }
        return "\"" + safe.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
