import PluginKit

/// Who made a change, as the audit log records it. `kind` is one of `api_key` (an organizer's key),
/// `admin` (an admin key or the command line), `device` (a check-in device key), `member`, `buyer`,
/// `provider` (a verified provider webhook; `id` is the provider) or `worker` (`id` names it).
package struct AuditActor: Sendable, Hashable {
    package let kind: String
    package let id: String?

    package init(kind: String, id: String?) {
        self.kind = kind
        self.id = id
    }

    package static func key(_ id: APIKeyID, scope: APIKeyScope) -> AuditActor {
        switch scope {
        case .admin: AuditActor(kind: "admin", id: id.rawValue)
        case .organizer: AuditActor(kind: "api_key", id: id.rawValue)
        case .device: AuditActor(kind: "device", id: id.rawValue)
        }
    }

    package static func provider(_ id: String) -> AuditActor { AuditActor(kind: "provider", id: id) }
    package static func worker(_ name: String) -> AuditActor { AuditActor(kind: "worker", id: name) }
    package static let buyer = AuditActor(kind: "buyer", id: nil)
    /// A member signed in to the pages.
    package static func member(_ id: MemberID) -> AuditActor { AuditActor(kind: "member", id: id.rawValue) }
    /// An operator at the terminal (`platform payouts run`, `platform demo`).
    package static let commandLine = AuditActor(kind: "admin", id: "command-line")

    /// The kinds a filter may name.
    package static let kinds: Set<String> = ["api_key", "admin", "device", "member", "buyer", "provider", "worker"]
}

/// Who is acting in the current task and the request (or webhook) it serves. It is request-scoped
/// like the logger's metadata: the auth middleware, the inbox and each worker set it around the work
/// they start, and every audit entry written inside reads it, so use cases need no extra parameter.
package struct AuditScope: Sendable {
    package let actor: AuditActor
    package let requestID: String?

    package init(actor: AuditActor, requestID: String?) {
        self.actor = actor
        self.requestID = requestID
    }

    /// Unset outside any request or worker: entries are then attributed to the platform's own worker.
    @TaskLocal package static var current = AuditScope(actor: .worker("platform"), requestID: nil)

    /// Runs `body` with `actor` acting, keeping the current request id unless one is given.
    @discardableResult
    package static func acting<T: Sendable>(as actor: AuditActor, requestID: String? = nil,
                                            _ body: () async throws -> T) async rethrows -> T {
        try await $current.withValue(AuditScope(actor: actor, requestID: requestID ?? current.requestID), operation: body)
    }
}
