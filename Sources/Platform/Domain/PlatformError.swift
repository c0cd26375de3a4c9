import PluginKit

/// The kernel's error vocabulary; the HTTP layer turns each case into one status and problem type.
package enum PlatformError: Error, Sendable, Equatable {
    /// Missing, or belonging to another organizer: callers cannot tell the two apart.
    case notFound(String)
    case conflict(String)
    case forbidden(String)
    /// A request that is malformed rather than merely invalid (answered 400, naming the field).
    case invalid(field: String, detail: String)
}
