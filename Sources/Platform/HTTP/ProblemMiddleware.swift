import Hummingbird
import Logging

/// Turns every error into a problem+json answer, so that no handler needs to and no stack trace or
/// internal message ever reaches a client.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let problem = problem(for: error, context: context)
            return problem.response(instance: request.uri.path, requestID: context.requestID)
        }
    }

    func problem(for error: any Error, context: Context) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let failure as ValidationFailure:
            return .validation(failure)
        case let error as PlatformError:
            switch error {
            case let .notFound(what): return .notFound(what)
            case let .conflict(detail): return .conflict(detail)
            case let .forbidden(detail): return .forbidden(detail)
            }
        case let error as HTTPError where error.status == .notFound:
            return Problem(.notFound, kind: "no-route", title: "Not found", detail: "no route for this path")
        case let error as HTTPError where error.status == .methodNotAllowed:
            return Problem(.methodNotAllowed, kind: "method-not-allowed", title: "Method not allowed", detail: "this path does not take that method")
        case let error as any HTTPResponseError where error.status == .contentTooLarge:
            return .tooLarge(limit: maxBodyBytes)
        case let error as any HTTPResponseError where (400..<500).contains(Int(error.status.code)):
            return Problem(error.status, kind: "bad-request", title: error.status.reasonPhrase, detail: error.status.reasonPhrase)
        default:
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error).prefix(2000))"])
            return .internal
        }
    }
}
