import Hummingbird
import PluginKit

/// What buyers may read without a key: live events and their public variants with availability.
struct PublicEventController {
    let catalog: Catalog

    func register(_ routes: RouteRegistrar<AppRequestContext>) {
        routes.on(.get, "public/events/{id}", use: show)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (event, variants) = try await catalog.publicEvent(try context.pathID(EventID.self))
        var response = try JSONCoding.response(PublicEventBody(event, variants: variants, now: catalog.clock.now()))
        response.headers[.cacheControl] = "public, max-age=5"
        return response
    }
}
