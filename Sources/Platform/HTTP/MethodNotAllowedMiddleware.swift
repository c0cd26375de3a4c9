import Hummingbird
import Synchronization

/// A path the API has, asked with a method it does not have, is 405 with `Allow` listing the ones
/// it has (RFC 9110 §15.5.6), not 404. The paths come from the route catalog, once it is complete.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let catalog: RouteCatalog
    private let compiled = CompiledRoutes()

    init(catalog: RouteCatalog) { self.catalog = catalog }

    /// The catalog split into segments, made at the first request (the router is complete by then).
    final class CompiledRoutes: Sendable {
        let routes = Mutex<[(segments: [String], method: String)]?>(nil)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let segments = request.uri.path.split(separator: "/").map(String.init)
        let routes = compiled.routes.withLock { cached in
            if let cached { return cached }
            let built = catalog.routes.compactMap { route -> (segments: [String], method: String)? in
                let parts = route.split(separator: " ", maxSplits: 1)
                guard parts.count == 2 else { return nil }
                return (parts[1].split(separator: "/").map(String.init), String(parts[0]))
            }
            cached = built
            return built
        }
        let allowed = Set(routes.filter { Self.matches($0.segments, segments) }.map(\.method))
        let method = request.method.rawValue
        guard !allowed.isEmpty, !allowed.contains(method), !(method == "HEAD" && allowed.contains("GET")) else {
            return try await next(request, context)
        }
        var problem = Problem(.methodNotAllowed, kind: "method-not-allowed", title: "Method not allowed",
                              detail: "\(request.uri.path) answers \(allowed.sorted().joined(separator: ", ")) only")
        problem.headers[.allow] = allowed.sorted().joined(separator: ", ")
        throw problem
    }

    static func matches(_ pattern: [String], _ path: [String]) -> Bool {
        pattern.count == path.count && zip(pattern, path).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
    }
}
