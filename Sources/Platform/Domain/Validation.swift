import PluginKit

/// A problem with one field of a request, named so that a client can show it beside the input.
public struct FieldError: Hashable, Sendable, Codable {
    public let field: String
    public let detail: String

    public init(field: String, detail: String) {
        self.field = field
        self.detail = detail
    }
}

/// Input that breaks a rule; it answers 422 and nothing is written.
public struct ValidationFailure: Error, Sendable {
    public let errors: [FieldError]
    public init(_ errors: [FieldError]) { self.errors = errors }
    public init(field: String, _ detail: String) { self.errors = [FieldError(field: field, detail: detail)] }
}

/// Collects field errors so that a request learns of all its mistakes at once.
public struct Validator: Sendable {
    public private(set) var errors: [FieldError] = []
    public init() {}

    public mutating func fail(_ field: String, _ detail: String) {
        errors.append(FieldError(field: field, detail: detail))
    }

    public mutating func check(_ condition: Bool, _ field: String, _ detail: @autoclosure () -> String) {
        if !condition { fail(field, detail()) }
    }

    public func hasError(for field: String) -> Bool { errors.contains { $0.field == field } }

    public func throwIfFailed() throws(ValidationFailure) {
        if !errors.isEmpty { throw ValidationFailure(errors) }
    }
}
