import Hummingbird
import PluginKit
import Synchronization

/// Every route the API registers, as "METHOD /path/{param}": the OpenAPI document is checked against it.
public final class RouteCatalog: Sendable {
    private let entries = Mutex<[String]>([])

    public init() {}

    public var routes: [String] { entries.withLock { $0 } }

    func record(_ method: HTTPRequest.Method, _ path: String) {
        entries.withLock { $0.append("\(method.rawValue) \(path)") }
    }
}

/// Registers handlers on a router group and records them in the catalog.
public struct RouteRegistrar {
    let group: RouterGroup<AppRequestContext>
    let prefix: String
    let catalog: RouteCatalog
    /// The authenticator's cache on the authenticated routes: a route that revokes a key tells it.
    public let apiKeys: APIKeyCache?

    init(group: RouterGroup<AppRequestContext>, prefix: String, catalog: RouteCatalog, apiKeys: APIKeyCache? = nil) {
        self.group = group
        self.prefix = prefix
        self.catalog = catalog
        self.apiKeys = apiKeys
    }

    public func on(_ method: HTTPRequest.Method, _ path: String,
            use handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Response) {
        group.on(RouterPath(path), method: method, use: handler)
        catalog.record(method, prefix + (path.isEmpty ? "" : "/" + path))
    }
}
