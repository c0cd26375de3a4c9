import Foundation
import PluginKit

/// Seats sold per day as an SVG bar chart, drawn on the server: no chart library, no script. Each
/// bar carries its day and count in a `<title>`, and the chart its total in `aria-label`.
enum SalesChart {
    static let width = 300, height = 80

    /// - Parameters:
    ///   - seats: seats sold on each day, oldest first.
    ///   - start: the first day (midnight UTC).
    static func svg(_ seats: [Int64], start: Timestamp) -> String {
        let most = max(seats.max() ?? 0, 1)
        let slot = Double(width) / Double(max(seats.count, 1))
        let total = seats.reduce(0, +)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "d MMM"
        let bars = seats.enumerated().map { index, count -> String in
            let barHeight = count == 0 ? 1 : max(2, Int((Double(count) / Double(most) * Double(height - 14)).rounded()))
            let day = Date(timeIntervalSince1970: Double(start.milliseconds) / 1000 + Double(index) * 86_400)
            let x = String(format: "%.1f", Double(index) * slot + 1), barWidth = String(format: "%.1f", max(slot - 2, 1))
            return "<rect x=\"\(x)\" y=\"\(height - barHeight)\" width=\"\(barWidth)\" height=\"\(barHeight)\" fill=\"\(count == 0 ? "#ccc" : "#0b6e35")\">"
                + "<title>\(formatter.string(from: day)): \(count) seat\(count == 1 ? "" : "s")</title></rect>"
        }.joined()
        return "<svg class=\"chart\" viewBox=\"0 0 \(width) \(height)\" width=\"100%\" height=\"\(height)\" role=\"img\" "
            + "aria-label=\"Seats sold per day over the last \(seats.count) days: \(total) in all, at most \(most == 1 && total == 0 ? 0 : most) in a day\" "
            + "preserveAspectRatio=\"none\" xmlns=\"http://www.w3.org/2000/svg\">\(bars)</svg>"
    }
}
