import Foundation
import Hummingbird
import NIOCore
import PluginKit

/// Any JSON value, so that a request body can be checked field by field with messages that name the
/// field, and so that a PATCH can tell a missing field from an explicit null.
enum JSONValue: Decodable, Sendable {
    case null, bool(Bool), int(Int64), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    // Every failed attempt costs a thrown error, so the kinds a body is made of come first.
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([String: JSONValue].self) { self = .object(value) }
        else if let value = try? container.decode(Int64.self) { self = .int(value) }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else { self = .array(try container.decode([JSONValue].self)) }
    }
}

/// Reads a JSON object body, collecting one error per bad field. Required readers return a
/// placeholder when the field is bad; `finish()` then throws before the placeholder can be used.
package final class RequestFields {
    private let object: [String: JSONValue]
    private var check = Validator()
    /// Fields of a nested object report their errors to the top-level reader, named "lines[0].quantity".
    private let parent: RequestFields?
    private let prefix: String

    package static func read(_ request: Request, limit: Int) async throws -> RequestFields {
        try parse(try await collect(request, limit: limit))
    }

    /// For routes whose body is optional: an empty object when the request has none.
    static func readIfPresent(_ request: Request, limit: Int) async throws -> RequestFields {
        let hasBody = request.headers[.contentLength].map { $0 != "0" } ?? (request.headers[.transferEncoding] != nil)
        return hasBody ? try await read(request, limit: limit) : RequestFields(object: [:])
    }

    /// The raw body, refused when it is not JSON or larger than `limit`.
    package static func collect(_ request: Request, limit: Int) async throws -> ByteBuffer {
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/json") {
            throw Problem(.unsupportedMediaType, kind: "unsupported-media-type", title: "Unsupported media type",
                          detail: "send the body as application/json")
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw Problem.tooLarge(limit: limit) }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw Problem.tooLarge(limit: limit)
        }
        return buffer
    }

    /// Shared: every request with a body is parsed with it.
    private static let bodyDecoder = JSONDecoder()

    static func parse(_ buffer: ByteBuffer) throws -> RequestFields {
        guard buffer.readableBytes > 0 else { throw Problem.badRequest("the request needs a JSON object body") }
        let value: JSONValue
        do {
            value = try bodyDecoder.decode(JSONValue.self, from: Data(buffer: buffer))
        } catch {
            throw Problem.badRequest("the body is not valid JSON")
        }
        guard case let .object(object) = value else { throw Problem.badRequest("the body must be a JSON object") }
        return RequestFields(object: object)
    }

    init(object: [String: JSONValue], parent: RequestFields? = nil, prefix: String = "") {
        self.object = object
        self.parent = parent
        self.prefix = prefix
    }

    package func finish() throws(ValidationFailure) { try check.throwIfFailed() }

    package func fail(_ field: String, _ detail: String) {
        if let parent { parent.fail(prefix + field, detail) } else { check.fail(field, detail) }
    }

    private func hasError(for field: String) -> Bool {
        if let parent { return parent.hasError(for: prefix + field) }
        return check.hasError(for: field)
    }

    /// A required array of objects, each read with its own reader; empty (with an error) when it is
    /// missing or not one.
    package func objects(_ key: String) -> [RequestFields] {
        let items = requiredArray(key)
        var readers: [RequestFields] = []
        for (index, item) in items.enumerated() {
            guard case let .object(fields) = item else {
                fail("\(key)[\(index)]", "must be an object")
                continue
            }
            readers.append(RequestFields(object: fields, parent: self, prefix: "\(key)[\(index)]."))
        }
        return readers
    }

    /// A required array whose items are judged one by one (a batch upload): each object gets a
    /// reader of its own, whose errors stay its own (`problems`) instead of failing the request;
    /// an item that is not an object is nil. Only a missing or non-array value fails the request.
    package func separateObjects(_ key: String) -> [RequestFields?] {
        requiredArray(key).map { item in
            guard case let .object(fields) = item else { return nil }
            return RequestFields(object: fields)
        }
    }

    /// What this reader found wrong, as "field: detail; …"; nil when nothing.
    package var problems: String? {
        check.errors.isEmpty ? nil : check.errors.map { "\($0.field): \($0.detail)" }.joined(separator: "; ")
    }

    /// The items of a required array (of objects); empty, with the error, when it is missing or not one.
    private func requiredArray(_ key: String) -> [JSONValue] {
        guard let present = raw(key), let value = present else {
            fail(key, "is required")
            return []
        }
        guard case let .array(items) = value else {
            fail(key, "must be an array of objects")
            return []
        }
        return items
    }

    /// A nested object, read with its own reader (errors named "payout_hold.days"): nil when
    /// absent, `.some(nil)` when null.
    package func object(_ key: String) -> RequestFields?? {
        guard let present = raw(key) else { return nil }
        guard let value = present else { return .some(nil) }
        guard case let .object(fields) = value else {
            fail(key, "must be an object")
            return nil
        }
        return .some(RequestFields(object: fields, parent: self, prefix: "\(key)."))
    }

    /// nil when absent; `.some(nil)` when explicitly null.
    private func raw(_ key: String) -> JSONValue?? {
        guard let value = object[key] else { return nil }
        if case .null = value { return .some(nil) }
        return .some(value)
    }

    private func typed<T>(_ key: String, _ expected: String, _ convert: (JSONValue) -> T?) -> T?? {
        guard let present = raw(key) else { return nil }
        guard let value = present else { return .some(nil) }
        guard let converted = convert(value) else {
            fail(key, "must be \(expected)")
            return nil
        }
        return .some(converted)
    }

    // Clearable readers: nil = absent, .some(nil) = null, .some(x) = value.

    package func string(_ key: String) -> String?? {
        typed(key, "a string") { if case let .string(s) = $0 { s } else { nil } }
    }

    package func boolean(_ key: String) -> Bool?? {
        typed(key, "true or false") { if case let .bool(b) = $0 { b } else { nil } }
    }

    package func integer(_ key: String) -> Int64?? {
        typed(key, "an integer") { value -> Int64? in
            switch value {
            case let .int(i): return i
            case let .number(d) where d == d.rounded() && abs(d) < 9e15: return Int64(d)
            default: return nil
            }
        }
    }

    package func timestamp(_ key: String) -> Timestamp?? {
        typed(key, "an RFC 3339 date-time such as 2026-05-01T19:30:00Z") { value in
            if case let .string(s) = value { Timestamp(rfc3339: s) } else { nil }
        }
    }

    func stringArray(_ key: String) -> [String]?? {
        typed(key, "an array of strings") { value -> [String]? in
            guard case let .array(items) = value else { return nil }
            let strings = items.compactMap { item -> String? in if case let .string(s) = item { s } else { nil } }
            return strings.count == items.count ? strings : nil
        }
    }

    package func choice<T: RawRepresentable<String> & CaseIterable>(_ key: String, _ type: T.Type) -> T?? {
        typed(key, "one of " + T.allCases.map(\.rawValue).joined(separator: ", ")) { value in
            if case let .string(s) = value { T(rawValue: s) } else { nil }
        }
    }

    package func currency(_ key: String) -> Currency?? {
        typed(key, "a supported ISO 4217 currency code such as EUR") { value in
            if case let .string(s) = value, s.count == 3 { Currency(code: s) } else { nil }
        }
    }

    /// Buyer credit to use: a positive amount in minor units, or "all".
    func creditUse(_ key: String) -> CreditUse?? {
        typed(key, "a positive integer (minor units) or \"all\"") { value -> CreditUse? in
            switch value {
            case let .int(i) where i > 0: return .amount(i)
            case let .number(d) where d == d.rounded() && d > 0 && d < 9e15: return .amount(Int64(d))
            case .string("all"): return .all
            default: return nil
            }
        }
    }

    // Optional readers (absent or null mean "not given") and required readers.

    package func optional<T>(_ value: T??, _ key: String, nullable: Bool = true) -> T? {
        guard let value else { return nil }
        if value == nil && !nullable { fail(key, "must not be null") }
        return value
    }

    /// For PATCH: a field that may be given but not nulled.
    func nonNull<T>(_ value: T??, _ key: String) -> T? {
        optional(value, key, nullable: false)
    }

    package func required<T>(_ value: T??, _ key: String, placeholder: T) -> T {
        if let value, let value { return value }
        if !hasError(for: key) { fail(key, "is required") }
        return placeholder
    }

    /// As `required`, and a value given (an empty string too) must pass `rule`, else `detail`:
    /// one error for the field either way.
    package func required<T>(_ value: T??, _ key: String, placeholder: T, where rule: (T) -> Bool, _ detail: String) -> T {
        if let value, let value, !rule(value) { fail(key, detail) }
        return required(value, key, placeholder: placeholder)
    }
}
