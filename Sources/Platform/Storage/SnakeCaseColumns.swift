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

    /// SQLKit's own `convertedToSnakeCase`, quirks included (`organizerID` reads `organizer_iD`, so
    /// row types spell such names `organizerId`). SQLKit keeps it internal; its query encoder applies
    /// it to a key, so one key is encoded to learn the column name.
    static func snakeCase(_ name: String) -> String {
        struct OneKey: Encodable {
            let name: String
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Column.self)
                try container.encode(0, forKey: Column(stringValue: name))
            }
        }
        return (try? SQLQueryEncoder(keyEncodingStrategy: .convertToSnakeCase).encode(OneKey(name: name)).first?.0) ?? name
    }
}
