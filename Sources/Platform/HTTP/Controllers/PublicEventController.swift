import Hummingbird
import PluginKit

/// What buyers may read without a key: live events and their public variants with availability.
struct PublicEventController {
    let catalog: Catalog
    let cache: PublicEventCache

    init(catalog: Catalog) {
        self.catalog = catalog
        self.cache = PublicEventCache(clock: catalog.clock)
    }

    func register(_ routes: RouteRegistrar<AppRequestContext>) {
        routes.on(.get, "public/events/{id}", use: show)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.pathID(EventID.self)
        let catalog = self.catalog
        let body = try await cache.answer(id) {
            let (event, variants) = try await catalog.publicEvent(id)
            return ByteBuffer(bytes: try JSONCoding.encoder.encode(PublicEventBody(event, variants: variants, now: catalog.clock.now())))
        }
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "public, max-age=5"], body: .init(byteBuffer: body))
    }
}
