import PluginKit

/// A problem with one field of a request, named so that a client can show it beside the input.
package struct FieldError: Hashable, Sendable, Codable {
    package let field: String
    package let detail: String

    package init(field: String, detail: String) {
        self.field = field
        self.detail = detail
    }
}

/// Input that breaks a rule; it answers 422 and nothing is written.
package struct ValidationFailure: Error, Sendable {
    package let errors: [FieldError]
    package init(_ errors: [FieldError]) { self.errors = errors }
    package init(field: String, _ detail: String) { self.errors = [FieldError(field: field, detail: detail)] }
}

/// Collects field errors so that a request learns of all its mistakes at once.
package struct Validator: Sendable {
    package private(set) var errors: [FieldError] = []
    package init() {}

    package mutating func fail(_ field: String, _ detail: String) {
        errors.append(FieldError(field: field, detail: detail))
    }

    package mutating func check(_ condition: Bool, _ field: String, _ detail: @autoclosure () -> String) {
        if !condition { fail(field, detail()) }
    }

    func hasError(for field: String) -> Bool { errors.contains { $0.field == field } }

    package func throwIfFailed() throws(ValidationFailure) {
        if !errors.isEmpty { throw ValidationFailure(errors) }
    }
}
