import HTTPTypes
import Hummingbird
import Logging
import PluginKit

/// Gives each request an id (the caller's `X-Request-Id` when it is sane), puts it in every log line
/// and the response, and logs one line per request.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let header = HTTPField.Name("X-Request-Id")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let id = request.headers[Self.header].flatMap(Self.acceptable) ?? Self.generate()
        context.requestID = id
        context.logger[metadataKey: "request_id"] = .string(id)
        let start = ContinuousClock.now
        // Without a key the caller is a buyer (or a provider, whose webhook is only stored here).
        var response = try await AuditScope.$current.withValue(AuditScope(actor: .buyer, requestID: id)) { try await next(request, context) }
        response.headers[Self.header] = id
        let elapsed = ContinuousClock.now - start
        context.logger.info("request", metadata: [
            "method": .string(request.method.rawValue), "path": .string(request.uri.path),
            "status": .stringConvertible(response.status.code),
            "duration_us": .stringConvertible(elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000),
        ])
        return response
    }

    static func acceptable(_ value: String) -> String? {
        guard (1...100).contains(value.count), value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            return nil
        }
        return value
    }

    static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        return String(rng.next(), radix: 16) + String(UInt32.random(in: .min ... .max, using: &rng), radix: 16)
    }
}
