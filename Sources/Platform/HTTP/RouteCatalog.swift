import Hummingbird
import PluginKit
import Synchronization

/// Every route the API registers, as "METHOD /path/{param}": the OpenAPI document is checked against it.
package final class RouteCatalog: Sendable {
    private let entries = Mutex<[String]>([])

    package init() {}

    package var routes: [String] { entries.withLock { $0 } }

    func record(_ method: HTTPRequest.Method, _ path: String) {
        entries.withLock { $0.append("\(method.rawValue) \(path)") }
    }
}

/// Registers handlers on a router group, whose request context says who may call them, and
/// records them in the catalog.
package struct RouteRegistrar<Context: RequestContext> {
    let group: RouterGroup<Context>
    let prefix: String
    let catalog: RouteCatalog

    package func on(_ method: HTTPRequest.Method, _ path: String,
                    use handler: @escaping @Sendable (Request, Context) async throws -> Response) {
        group.on(RouterPath(path), method: method, use: handler)
        catalog.record(method, prefix + (path.isEmpty ? "" : "/" + path))
    }

    /// The same routes for callers `Child` admits (its init throws for the others).
    package func callers<Child: ChildRequestContext>(_: Child.Type) -> RouteRegistrar<Child> where Child.ParentContext == Context {
        RouteRegistrar<Child>(group: group.group(context: Child.self), prefix: prefix, catalog: catalog)
    }
}

/// The API's route groups. Who may call a route is declared by the group it is added to.
package struct APIRoutes {
    /// At the root, without a key: `/health`, `/metrics`, `/webhooks/{provider}`.
    let root: RouteRegistrar<AppRequestContext>
    /// Under `/api/v1` without a key: buyers, and the API document.
    package let open: RouteRegistrar<AppRequestContext>
    /// Under `/api/v1` with any valid key; the route decides (an organizer's own settings).
    package let authenticated: RouteRegistrar<AppRequestContext>
    /// Organizer keys only.
    package let organizer: RouteRegistrar<OrganizerContext>
    /// Admin keys only.
    package let admin: RouteRegistrar<AdminContext>

    init(router: Router<AppRequestContext>, auth: AuthMiddleware, catalog: RouteCatalog) {
        root = RouteRegistrar(group: router.group(), prefix: "", catalog: catalog)
        open = RouteRegistrar(group: router.group("api/v1"), prefix: "/api/v1", catalog: catalog)
        authenticated = RouteRegistrar(group: router.group("api/v1").add(middleware: auth), prefix: "/api/v1", catalog: catalog)
        organizer = authenticated.callers(OrganizerContext.self)
        admin = authenticated.callers(AdminContext.self)
    }
}
