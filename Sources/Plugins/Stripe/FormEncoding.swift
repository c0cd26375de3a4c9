import Foundation
import PluginKit

/// Stripe's `application/x-www-form-urlencoded` bodies: nested keys in brackets, arrays indexed
/// (`line_items[0][price_data][currency]=eur`). Parameters keep the order they are given in.
public struct FormParameters: Sendable, Equatable {
    public private(set) var pairs: [(String, String)] = []

    public init() {}

    public mutating func add(_ key: String, _ value: String?) {
        if let value { pairs.append((key, value)) }
    }

    public mutating func add(_ key: String, _ value: Int64?) {
        if let value { pairs.append((key, String(value))) }
    }

    public var encoded: String {
        pairs.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
    }

    /// Brackets are percent-encoded too, as everything outside RFC 3986's unreserved set is.
    static func escape(_ text: String) -> String { URLForm.escape(text) }

    public static func == (lhs: FormParameters, rhs: FormParameters) -> Bool { lhs.encoded == rhs.encoded }

    /// Parses an encoded body back into pairs (used by the fake Stripe in tests).
    public static func decode(_ body: String) -> [(String, String)] { URLForm.decode(body) }
}
