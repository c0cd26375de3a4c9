import Hummingbird
import PluginKit

/// Per-request state: who is calling (set by the auth middleware) and the request id used in logs.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: APIKeyScope?
    /// The calling key's id: check-in records it as the scanning device.
    public var keyID: APIKeyID?
    public var requestID = ""
    /// The peer's IP address, as the socket reports it.
    public let remoteIP: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteIP = source.channel.remoteAddress?.ipAddress
    }

    /// Bodies are collected explicitly with the configured limit, not by the decoder.
    public var maxUploadSize: Int { 0 }

    public func requireAdmin() throws -> Void {
        guard principal == .admin else { throw Problem.forbidden("this route needs an admin key") }
    }

    public func requireOrganizer() throws -> OrganizerID {
        guard let id = principal?.organizerID else { throw Problem.forbidden("this route needs an organizer key") }
        return id
    }
}
