import PluginKit

/// What an API key may touch: the whole platform, one organizer's data, or the door of one event
/// (a check-in device: scans, offline bundles and statistics of that event only).
package enum APIKeyScope: Hashable, Sendable, CustomStringConvertible {
    case admin
    case organizer(OrganizerID)
    case device(OrganizerID, EventID)

    package init?(rawValue: String) {
        if rawValue == "admin" {
            self = .admin
        } else if rawValue.hasPrefix("organizer:"), let id = OrganizerID(String(rawValue.dropFirst("organizer:".count))) {
            self = .organizer(id)
        } else if rawValue.hasPrefix("device:") {
            let parts = rawValue.dropFirst("device:".count).split(separator: ":")
            guard parts.count == 2, let organizer = OrganizerID(String(parts[0])), let event = EventID(String(parts[1])) else { return nil }
            self = .device(organizer, event)
        } else {
            return nil
        }
    }

    package var rawValue: String {
        switch self {
        case .admin: "admin"
        case let .organizer(id): "organizer:\(id.rawValue)"
        case let .device(organizer, event): "device:\(organizer.rawValue):\(event.rawValue)"
        }
    }

    /// The organizer of an organizer key; a device key is not one.
    package var organizerID: OrganizerID? {
        if case let .organizer(id) = self { return id }
        return nil
    }

    /// The organizer whose data the key belongs to, for organizer and device keys alike.
    var tenant: OrganizerID? {
        switch self {
        case .admin: nil
        case let .organizer(id): id
        case let .device(id, _): id
        }
    }

    package var description: String { rawValue }
}
