import Hummingbird
import Logging
import PluginKit

/// Turns every error into a problem+json answer, so that no handler needs to and no stack trace or
/// internal message ever reaches a client.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Problem.from(error, maxBodyBytes: maxBodyBytes, logger: context.logger)
                .response(instance: request.uri.path, requestID: context.requestID)
        }
    }

}

extension Problem {
    /// The one mapping from any error to the problem a client sees; unexpected errors are logged
    /// and answered as a bare 500.
    package static func from(_ error: any Error, maxBodyBytes: Int, logger: Logger) -> Problem {
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
            case let .invalid(field, detail):
                return Problem(.badRequest, kind: "bad-request", title: "Bad request", detail: "invalid field: \(field)",
                               errors: [FieldError(field: field, detail: detail)])
            }
        case let error as ProviderError:
            return .provider(error)
        case let error as InsufficientCredit:
            var problem = Problem(.init(code: 402, reasonPhrase: "Payment Required"), kind: "insufficient-credit", title: "Not enough credit",
                                  detail: error.detail)
            problem.balance = WalletBalanceBody(error.balance)
            return problem
        case is BuyerSessionRequired:
            return .unauthorized("paying with credit needs a buyer session: sign in to My tickets and send its token as Authorization: Bearer")
        case let error as DatabaseUnavailable:
            logger.warning("database unavailable", metadata: ["reason": "\(error.reason)"])
            var problem = Problem(.serviceUnavailable, kind: "database-unavailable", title: "Service unavailable", detail: error.detail)
            problem.headers[.retryAfter] = "1"
            return problem
        case IdempotencyConflict.inFlight:
            return Problem(.conflict, kind: "idempotency-in-flight", title: "Request in progress",
                           detail: "a request with this Idempotency-Key is still being processed")
        case IdempotencyConflict.mismatch:
            return Problem(.unprocessableContent, kind: "idempotency-mismatch", title: "Idempotency-Key reused",
                           detail: "this Idempotency-Key was used with a different request",
                           errors: [FieldError(field: "Idempotency-Key", detail: "was used with a different request body")])
        case let problem as PageProblem:
            return Problem(errorStatus(problem.status), kind: problem.kind, title: problem.title, detail: problem.detail)
        case let error as WebhookRejected:
            return Problem(.badRequest, kind: "webhook-rejected", title: "Webhook rejected", detail: error.description)
        case let error as HTTPError where error.status == .notFound:
            return Problem(.notFound, kind: "no-route", title: "Not found", detail: "no route for this path")
        case let error as HTTPError where error.status == .methodNotAllowed:
            return Problem(.methodNotAllowed, kind: "method-not-allowed", title: "Method not allowed", detail: "this path does not take that method")
        case let error as any HTTPResponseError where error.status == .contentTooLarge:
            return .tooLarge(limit: maxBodyBytes)
        case let error as any HTTPResponseError where (400..<500).contains(Int(error.status.code)):
            return Problem(error.status, kind: "bad-request", title: error.status.reasonPhrase, detail: error.status.reasonPhrase)
        default:
            logger.error("request failed", metadata: ["error": "\(String(reflecting: error).prefix(2000))"])
            return .internal
        }
    }

    /// A plugin's error status with its standard reason phrase; anything but a 4xx or 5xx is a 500.
    static func errorStatus(_ code: Int) -> HTTPResponse.Status {
        let known: [HTTPResponse.Status] = [
            .badRequest, .unauthorized, .forbidden, .notFound, .methodNotAllowed, .conflict, .gone,
            .unprocessableContent, .tooManyRequests, .internalServerError, .badGateway, .serviceUnavailable, .gatewayTimeout,
        ]
        if let status = known.first(where: { $0.code == code }) { return status }
        return (400...599).contains(code) ? HTTPResponse.Status(code: code) : .internalServerError
    }
}
