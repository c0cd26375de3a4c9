import Hummingbird
import PluginKit

/// Per-request state: who is calling (set by the auth middleware) and the request id used in logs.
package struct AppRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    package var principal: APIKeyScope?
    /// The calling key's id: check-in records it as the scanning device.
    package var keyID: APIKeyID?
    var requestID = ""
    /// The peer's IP address, as the socket reports it.
    let remoteIP: String?

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteIP = source.channel.remoteAddress?.ipAddress
    }

    /// Bodies are collected explicitly with the configured limit, not by the decoder.
    package var maxUploadSize: Int { 0 }
}

/// A request made with an organizer key; routes in its group see only `organizer`'s data.
package struct OrganizerContext: ChildRequestContext {
    package var coreContext: CoreRequestContextStorage
    package let organizer: OrganizerID

    /// - Throws: a 403 problem for any other key.
    package init(context: AppRequestContext) throws {
        guard let organizer = context.principal?.organizerID else { throw Problem.forbidden("this route needs an organizer key") }
        self.coreContext = context.coreContext
        self.organizer = organizer
    }

    package var maxUploadSize: Int { 0 }
}

/// A request made with an admin key.
package struct AdminContext: ChildRequestContext {
    package var coreContext: CoreRequestContextStorage

    /// - Throws: a 403 problem for any other key.
    package init(context: AppRequestContext) throws {
        guard context.principal == .admin else { throw Problem.forbidden("this route needs an admin key") }
        self.coreContext = context.coreContext
    }

    package var maxUploadSize: Int { 0 }
}
