import Foundation
import PluginKit

/// The fields a change touched, as `{"field": {"from": old, "to": new}}` (`from` absent for a
/// creation, `to` absent for a deletion). Built from the API's own JSON of the resource, so it
/// names fields as integrators know them; a field whose name suggests a secret is never kept.
package struct AuditChanges: Sendable {
    /// The JSON object text stored in `audit_log.changes`.
    package let json: String

    package static let none = AuditChanges(json: "{}")

    private init(json: String) { self.json = json }

    /// The fields that differ between two API bodies (either may be nil).
    package static func between(_ before: (some Encodable)?, _ after: (some Encodable)?) -> AuditChanges {
        let old = object(before), new = object(after)
        var diff: [String: Any] = [:]
        for key in Set(old.keys).union(new.keys) where !isSecret(key) && key != "updated_at" {
            let from = old[key], to = new[key]
            if let from, let to, same(from, to) { continue }
            var field: [String: Any] = [:]
            if let from { field["from"] = from }
            if let to { field["to"] = to }
            diff[key] = field
        }
        return make(diff)
    }

    /// A change of named fields: `["status": ("pending", "paid")]`; nil values are left out.
    package static func fields(_ fields: [String: (from: (any Sendable)?, to: (any Sendable)?)]) -> AuditChanges {
        // Text, integers and booleans (every caller's values) go through JSONEncoder: an admission
        // at the door comes through here, and JSONSerialization's bridging cost it several percent.
        var typed: [String: [String: Leaf]] = [:]
        for (key, value) in fields where !isSecret(key) {
            var field: [String: Leaf] = [:]
            for (name, part) in [("from", value.from), ("to", value.to)] {
                guard let part else { continue }
                guard let leaf = Leaf(part) else { return untyped(fields) }
                field[name] = leaf
            }
            typed[key] = field
        }
        guard let data = try? leafEncoder.encode(typed) else { return .none }
        return AuditChanges(json: String(decoding: data, as: UTF8.self))
    }

    private static func untyped(_ fields: [String: (from: (any Sendable)?, to: (any Sendable)?)]) -> AuditChanges {
        var diff: [String: Any] = [:]
        for (key, value) in fields where !isSecret(key) {
            var field: [String: Any] = [:]
            if let from = value.from { field["from"] = from }
            if let to = value.to { field["to"] = to }
            diff[key] = field
        }
        return make(diff)
    }

    private enum Leaf: Encodable {
        case text(String), integer(Int64), boolean(Bool)

        init?(_ value: any Sendable) {
            switch value {
            case let text as String: self = .text(text)
            case let number as Int64: self = .integer(number)
            case let number as Int: self = .integer(Int64(number))
            case let flag as Bool: self = .boolean(flag)
            default: return nil
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case let .text(text): try container.encode(text)
            case let .integer(number): try container.encode(number)
            case let .boolean(flag): try container.encode(flag)
            }
        }
    }

    private static let leafEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    private static func object(_ value: (some Encodable)?) -> [String: Any] {
        guard let value, let data = try? JSONCoding.encoder.encode(value),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return object
    }

    private static func make(_ diff: [String: Any]) -> AuditChanges {
        guard let data = try? JSONSerialization.data(withJSONObject: diff, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return .none
        }
        return AuditChanges(json: String(decoding: data, as: UTF8.self))
    }

    /// Equal as JSON: what JSONSerialization reads back is compared by writing it again.
    private static func same(_ a: Any, _ b: Any) -> Bool {
        let options: JSONSerialization.WritingOptions = [.sortedKeys, .fragmentsAllowed]
        guard let left = try? JSONSerialization.data(withJSONObject: a, options: options),
              let right = try? JSONSerialization.data(withJSONObject: b, options: options) else { return false }
        return left == right
    }

    private static func isSecret(_ key: String) -> Bool {
        let key = key.lowercased()
        return ["secret", "token", "password", "api_key", "key"].contains { key == $0 || key.hasSuffix("_" + $0) || key.hasPrefix($0 + "_") }
            && key != "key_id" && key != "idempotency_key"
    }
}
