import PluginKit

/// Reads stored text back into typed values; a value that does not parse means a corrupt row.
package enum StoredValue {
    struct Corrupt: Error, CustomStringConvertible {
        package let description: String
        package init(description: String) { self.description = description }
    }

    package static func id<Kind>(_ text: String) throws -> TypedID<Kind> {
        guard let id = TypedID<Kind>(text) else { throw Corrupt(description: "stored id '\(text)' is malformed") }
        return id
    }

    package static func `enum`<T: RawRepresentable<String>>(_ text: String) throws -> T {
        guard let value = T(rawValue: text) else { throw Corrupt(description: "stored value '\(text)' is unknown") }
        return value
    }

    static func currency(_ code: String) throws -> Currency {
        guard let currency = Currency(code: code) else { throw Corrupt(description: "stored currency '\(code)' is unknown") }
        return currency
    }

    static func timestamp(_ milliseconds: Int64?) -> Timestamp? { milliseconds.map(Timestamp.init(milliseconds:)) }
}
