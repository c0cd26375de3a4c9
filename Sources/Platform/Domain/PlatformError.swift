/// The kernel's error vocabulary; the HTTP layer turns each case into one status and problem type.
public enum PlatformError: Error, Sendable, Equatable {
    /// Missing, or belonging to another organizer: callers cannot tell the two apart.
    case notFound(String)
    case conflict(String)
    case forbidden(String)
}
