import Hummingbird
import Platform

extension AppRequestContext {
    /// The caller as a scanner: an organizer key, or a device key for one event.
    func scanner() throws -> Scanner {
        switch principal {
        case let .organizer(organizer)?: return Scanner(organizer: organizer, device: keyID?.rawValue ?? "organizer", event: nil)
        case let .device(organizer, event)?: return Scanner(organizer: organizer, device: keyID?.rawValue ?? "device", event: event)
        default: throw Problem.forbidden("this route needs an organizer key or a check-in device key")
        }
    }

    /// The `{id}` event as a scanner may see it: a device key only its own event.
    func scannerEvent() throws -> (Scanner, EventID) {
        let scanner = try scanner()
        let event = try pathID(EventID.self)
        if let own = scanner.event, own != event { throw PlatformError.notFound("event") }
        return (scanner, event)
    }
}
