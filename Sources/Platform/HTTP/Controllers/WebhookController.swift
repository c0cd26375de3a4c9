import Hummingbird
import NIOCore
import PluginKit

/// `POST /webhooks/{provider}`: raw bytes to the ingress; 200 once stored (or already stored).
struct WebhookController {
    let ingress: WebhookIngress
    let maxBodyBytes: Int

    func register(_ routes: RouteRegistrar<AppRequestContext>) {
        routes.on(.post, "webhooks/{provider}", use: receive)
    }

    @Sendable func receive(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let provider = context.parameters.get("provider") else { throw Problem.notFound("payment provider") }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw Problem.tooLarge(limit: maxBodyBytes)
        }
        let stored = try await ingress.receive(provider: provider, body: body, headers: request.headers)
        struct Body: Encodable { let received: Bool, duplicate: Bool }
        return try JSONCoding.response(Body(received: true, duplicate: !stored))
    }
}
