import Foundation
import Hummingbird
import PluginKit

/// Liveness, Prometheus metrics and the OpenAPI document.
struct OpsController {
    let database: any Database

    static let openAPIDocument: ByteBuffer = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
              let data = try? Data(contentsOf: url) else { return ByteBuffer(string: "{}") }
        return ByteBuffer(bytes: data)
    }()

    func register(root: RouteRegistrar<AppRequestContext>, api: RouteRegistrar<AppRequestContext>) {
        root.on(.get, "health", use: health)
        root.on(.get, "metrics", use: metrics)
        api.on(.get, "openapi.json", use: openAPI)
    }

    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> Response {
        struct Body: Encodable { let status: String, database: String, engine: String }
        let healthy = await database.ping()
        return try JSONCoding.response(
            Body(status: healthy ? "ok" : "unavailable", database: healthy ? "ok" : "unreachable", engine: database.engine.rawValue),
            status: healthy ? .ok : .serviceUnavailable)
    }

    @Sendable func metrics(_ request: Request, context: AppRequestContext) async throws -> Response {
        var bytes: [UInt8] = []
        PlatformMetrics.registry.emit(into: &bytes)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    @Sendable func openAPI(_ request: Request, context: AppRequestContext) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: Self.openAPIDocument))
    }
}
