import Hummingbird
import PluginKit

/// Resolves `Authorization: Bearer <key>` to the key's scope. Routes then ask the context for the
/// scope they need; the key itself never leaves this function.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let keys: APIKeyCache

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw Problem.unauthorized("send an API key as Authorization: Bearer <key>")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw Problem.unauthorized("the Authorization header must be Bearer <key>")
        }
        guard let key = try await keys.key(secret: String(parts[1]).trimmingCharacters(in: .whitespaces)) else {
            throw Problem.unauthorized("the API key is not valid")
        }
        var context = context
        context.principal = key.scope
        context.keyID = key.id
        context.logger[metadataKey: "api_key"] = .string(key.id.rawValue)
        return try await AuditScope.acting(as: .key(key.id, scope: key.scope)) { try await next(request, context) }
    }
}
