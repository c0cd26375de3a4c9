import Hummingbird
import PluginKit

/// The kernel's side of `PluginRoutes`: a plugin's pages at the root of the router, answered with
/// the same headers as the Sandbox's page always had and errors as problem+json.
struct PluginPages: PluginRoutes {
    let group: RouterGroup<AppRequestContext>

    func get(_ path: String, _ handler: @escaping @Sendable (PageRequest) async throws -> PageResponse) {
        add(.get, path, handler)
    }

    func post(_ path: String, _ handler: @escaping @Sendable (PageRequest) async throws -> PageResponse) {
        add(.post, path, handler)
    }

    private func add(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping @Sendable (PageRequest) async throws -> PageResponse) {
        let names = path.split(separator: "/").filter { $0.hasPrefix("{") && $0.hasSuffix("}") }.map { String($0.dropFirst().dropLast()) }
        group.on(RouterPath(path), method: method) { request, context in
            let parameters = Dictionary(names.compactMap { name in context.parameters.get(name).map { (name, $0) } }, uniquingKeysWith: { $1 })
            let query = Dictionary(request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { $1 })
            switch try await handler(PageRequest(parameters: parameters, query: query)) {
            case let .html(text):
                return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                                body: .init(byteBuffer: ByteBuffer(string: text)))
            case let .redirect(location):
                return Response(status: .seeOther, headers: [.location: location])
            }
        }
    }
}
