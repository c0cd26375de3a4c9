import Hummingbird
import PluginKit
import Platform

/// A request made with an organizer key (any event of the organizer) or a check-in device key
/// (one event); routes in its group scan, block and read the door's figures.
struct ScannerContext: ChildRequestContext {
    var coreContext: CoreRequestContextStorage
    let scanner: Scanner

    /// - Throws: a 403 problem for an admin key.
    init(context: AppRequestContext) throws {
        switch context.principal {
        case let .organizer(organizer)?: scanner = Scanner(organizer: organizer, device: context.keyID?.rawValue ?? "organizer", event: nil)
        case let .device(organizer, event)?: scanner = Scanner(organizer: organizer, device: context.keyID?.rawValue ?? "device", event: event)
        default: throw Problem.forbidden("this route needs an organizer key or a check-in device key")
        }
        coreContext = context.coreContext
    }

    var maxUploadSize: Int { 0 }

    /// The `{id}` event as this scanner may see it: a device key only its own event.
    func event() throws -> EventID {
        let event = try pathID(EventID.self)
        if let own = scanner.event, own != event { throw PlatformError.notFound("event") }
        return event
    }
}
