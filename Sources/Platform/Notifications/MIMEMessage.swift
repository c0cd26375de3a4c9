import Foundation
import PluginKit

/// A `MailMessage` as an RFC 5322 / MIME message: multipart/alternative (text, HTML) inside
/// multipart/related with the inline images, inside multipart/mixed when there are other files.
/// Bodies are base64 so any UTF-8 survives; headers with non-ASCII text are RFC 2047 words.
enum MIMEMessage {
    package static func render(_ message: MailMessage, date: Timestamp, messageID: String) -> String {
        var headers = [
            "From: " + address(message.from),
            "To: " + message.to.map(clean).joined(separator: ", "),
        ]
        if let replyTo = message.replyTo { headers.append("Reply-To: " + clean(replyTo)) }
        headers += [
            "Subject: " + word(message.subject),
            "Date: " + rfc5322(date),
            "Message-ID: <\(clean(messageID))>",
            "MIME-Version: 1.0",
        ]
        let seed = String(message.idempotencyKey.utf8.reduce(UInt64(1469598103934665603)) { ($0 ^ UInt64($1)) &* 1099511628211 }, radix: 36)
        let alternative = multipart("alternative", boundary: "alt-\(seed)", parts: [
            part(["Content-Type: text/plain; charset=utf-8"], Array(message.text.utf8)),
            part(["Content-Type: text/html; charset=utf-8"], Array(message.html.utf8)),
        ])
        let inline = message.attachments.filter { $0.contentID != nil }
        let files = message.attachments.filter { $0.contentID == nil }
        var body = alternative
        if !inline.isEmpty {
            body = multipart("related", boundary: "rel-\(seed)", parts: [body] + inline.map { image in
                part(["Content-Type: \(clean(image.contentType)); name=\"\(clean(image.filename))\"",
                      "Content-ID: <\(clean(image.contentID ?? ""))>",
                      "Content-Disposition: inline; filename=\"\(clean(image.filename))\""], image.content)
            })
        }
        if !files.isEmpty {
            body = multipart("mixed", boundary: "mix-\(seed)", parts: [body] + files.map { file in
                part(["Content-Type: \(clean(file.contentType)); name=\"\(clean(file.filename))\"",
                      "Content-Disposition: attachment; filename=\"\(clean(file.filename))\""], file.content)
            })
        }
        return (headers + body).joined(separator: "\r\n")
    }

    /// Header lines then a blank line then the body, as one entity.
    private static func part(_ headers: [String], _ content: [UInt8]) -> [String] {
        headers + ["Content-Transfer-Encoding: base64", ""] + base64Lines(content)
    }

    private static func multipart(_ subtype: String, boundary: String, parts: [[String]]) -> [String] {
        var lines = ["Content-Type: multipart/\(subtype); boundary=\"\(boundary)\"", ""]
        for part in parts { lines += ["--" + boundary] + part }
        return lines + ["--\(boundary)--", ""]
    }

    private static func base64Lines(_ bytes: [UInt8]) -> [String] {
        let text = Data(bytes).base64EncodedString()
        var lines: [String] = []
        var start = text.startIndex
        while start < text.endIndex {
            let end = text.index(start, offsetBy: 76, limitedBy: text.endIndex) ?? text.endIndex
            lines.append(String(text[start..<end]))
            start = end
        }
        return lines
    }

    /// No line breaks may reach a header: they would start a header of the sender's choosing.
    static func clean(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0 != "\r" && $0 != "\n" && $0 != "\0" }.map(Character.init))
    }

    /// The text as is when it is printable ASCII, else RFC 2047 encoded words of UTF-8.
    static func word(_ text: String) -> String {
        let text = clean(text)
        if text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7f }) { return text }
        // Encoded words are at most 75 characters: chunks of 45 bytes, never splitting a character.
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45 {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }

    static func address(_ address: MailAddress) -> String {
        guard let name = address.name, !name.isEmpty else { return clean(address.email) }
        let plain = clean(name)
        let display = plain.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7f })
            ? "\"" + plain.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
            : word(plain)
        return "\(display) <\(clean(address.email))>"
    }

    static func rfc5322(_ time: Timestamp) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: Date(timeIntervalSince1970: Double(time.milliseconds) / 1000))
    }
}
