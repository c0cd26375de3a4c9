import SQLKit
import Synchronization

extension SQLRowDecoder.KeyDecodingStrategy {
    /// `.convertFromSnakeCase` (property `organizerId` reads column `organizer_id`), with each
    /// property's column worked out once per process. SQLKit converts the name again for every
    /// column of every row, three times for an optional: 5% of all CPU while webhooks were applied.
    package static let snakeCaseColumns: Self = .custom { path in SnakeCaseColumns.key(path[path.count - 1].stringValue) }
}

enum SnakeCaseColumns {
    struct Column: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Property names come from the code's row types, so the cache stays small.
    private static let known = Mutex<[String: Column]>([:])

    static func key(_ property: String) -> Column {
        if let column = known.withLock({ $0[property] }) { return column }
        let column = Column(stringValue: snakeCase(property))
        known.withLock { $0[property] = column }
        return column
    }

    /// SQLKit's `convertedToSnakeCase` (Utilities/StringHandling.swift, after Foundation's
    /// JSONEncoder), which SQLKit keeps internal, quirks included: `organizerID` reads `organizer_iD`
    /// and `URLPath` reads `u_rL_path`, so row types spell such names `organizerId`.
    static func snakeCase(_ name: String) -> String {
        guard !name.isEmpty else { return name }
        var words: [Range<String.Index>] = []
        var wordStart = name.startIndex, searchIndex = name.index(after: wordStart)
        while let upper = name[searchIndex...].firstIndex(where: \.isUppercase) {
            words.append(wordStart..<upper)
            wordStart = upper
            guard let lower = name[upper...].firstIndex(where: \.isLowercase) else { break }
            searchIndex = lower
            if lower != name.index(after: upper) {
                let beforeLower = name.index(before: lower)
                words.append(upper..<beforeLower)
                wordStart = beforeLower
            }
        }
        words.append(wordStart..<name.endIndex)
        return words.map { word in
            let text = name[word]
            return text.isEmpty ? "" : "\(text[text.startIndex].lowercased())\(text.dropFirst())"
        }.joined(separator: "_")
    }
}
