/// What an API key may touch: the whole platform, or one organizer's data.
public enum APIKeyScope: Hashable, Sendable, CustomStringConvertible {
    case admin
    case organizer(OrganizerID)

    public init?(rawValue: String) {
        if rawValue == "admin" {
            self = .admin
        } else if rawValue.hasPrefix("organizer:"), let id = OrganizerID(String(rawValue.dropFirst("organizer:".count))) {
            self = .organizer(id)
        } else {
            return nil
        }
    }

    public var rawValue: String {
        switch self {
        case .admin: "admin"
        case let .organizer(id): "organizer:\(id.rawValue)"
        }
    }

    public var organizerID: OrganizerID? {
        if case let .organizer(id) = self { return id }
        return nil
    }

    public var description: String { rawValue }
}
