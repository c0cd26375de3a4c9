import Hummingbird
import Synchronization

/// A path the API has, asked with a method it does not have, is 405 with `Allow` listing the ones
/// it has (RFC 9110 §15.5.6), not 404. Only a request the router found no route for is looked at
/// (no work on the requests that have one); the paths come from the route catalog.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let catalog: RouteCatalog
    private let compiled = CompiledRoutes()

    init(catalog: RouteCatalog) { self.catalog = catalog }

    /// The catalog split into segments, made at the first miss (the router is complete by then).
    final class CompiledRoutes: Sendable {
        let routes = Mutex<[(segments: [String], method: String)]?>(nil)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = allowedMethods(for: request.uri.path)
            guard !allowed.isEmpty else { throw error }
            var problem = Problem(.methodNotAllowed, kind: "method-not-allowed", title: "Method not allowed",
                                  detail: "\(request.uri.path) answers \(allowed.joined(separator: ", ")) only")
            problem.headers[.allow] = allowed.joined(separator: ", ")
            throw problem
        }
    }

    /// The methods the catalog has for `path`, sorted; empty for a path it does not know.
    func allowedMethods(for path: String) -> [String] {
        let segments = path.split(separator: "/").map(String.init)
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
        return Set(routes.filter { Self.matches($0.segments, segments) }.map(\.method)).sorted()
    }

    static func matches(_ pattern: [String], _ path: [String]) -> Bool {
        pattern.count == path.count && zip(pattern, path).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
    }
}
