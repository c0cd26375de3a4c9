import Foundation
import Hummingbird
import PluginKit

/// An RFC 9457 problem: every error the API answers is one of these, as application/problem+json.
package struct Problem: Error, Sendable {
    package let status: HTTPResponse.Status
    /// Stable machine-readable kind, the last part of `type`.
    package let kind: String
    package let title: String
    package let detail: String
    package var errors: [FieldError] = []
    package var headers: HTTPFields = [:]
    /// The wallet's balance, on a 402 for too little credit.
    var balance: WalletBalanceBody?

    package init(_ status: HTTPResponse.Status, kind: String, title: String, detail: String, errors: [FieldError] = []) {
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.errors = errors
    }

    package static func notFound(_ what: String) -> Problem {
        Problem(.notFound, kind: "not-found", title: "Not found", detail: "no such \(what)")
    }
    package static func badRequest(_ detail: String) -> Problem {
        Problem(.badRequest, kind: "bad-request", title: "Bad request", detail: detail)
    }
    package static func unauthorized(_ detail: String) -> Problem {
        var problem = Problem(.unauthorized, kind: "unauthorized", title: "Unauthorized", detail: detail)
        problem.headers[.wwwAuthenticate] = "Bearer"
        return problem
    }
    package static func forbidden(_ detail: String) -> Problem {
        Problem(.forbidden, kind: "forbidden", title: "Forbidden", detail: detail)
    }
    package static func conflict(_ detail: String) -> Problem {
        Problem(.conflict, kind: "conflict", title: "Conflict", detail: detail)
    }
    static func validation(_ failure: ValidationFailure) -> Problem {
        let fields = failure.errors.map(\.field).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        return Problem(.unprocessableContent, kind: "validation", title: "Invalid request",
                       detail: "invalid field\(fields.count == 1 ? "" : "s"): \(fields.joined(separator: ", "))", errors: failure.errors)
    }
    package static func tooLarge(limit: Int) -> Problem {
        Problem(.contentTooLarge, kind: "too-large", title: "Request body too large", detail: "the body must be at most \(limit) bytes")
    }
    /// The provider error vocabulary: declined 402, rate limited 429, unavailable 503, provider
    /// error 502, invalid 400, conflict 409.
    package static func provider(_ error: ProviderError) -> Problem {
        switch error {
        case let .declined(m): Problem(.init(code: 402, reasonPhrase: "Payment Required"), kind: "payment-declined", title: "Payment declined", detail: m)
        case let .rateLimited(m): Problem(.tooManyRequests, kind: "provider-rate-limited", title: "Payment provider busy", detail: m)
        case let .unavailable(m): Problem(.serviceUnavailable, kind: "provider-unavailable", title: "Payment provider unavailable", detail: m)
        case let .providerError(m): Problem(.badGateway, kind: "provider-error", title: "Payment provider error", detail: m)
        case let .invalidRequest(m): Problem(.badRequest, kind: "provider-invalid-request", title: "Rejected by the payment provider", detail: m)
        case let .conflict(m): Problem(.conflict, kind: "provider-conflict", title: "Payment provider conflict", detail: m)
        }
    }

    package static let `internal` = Problem(.internalServerError, kind: "internal", title: "Internal error",
                                           detail: "the server failed to handle this request; quote the request id when reporting it")

    struct Body: Encodable {
        let type: String, title: String, status: Int, detail: String, instance: String, requestId: String
        let errors: [ErrorBody]?
        let balance: WalletBalanceBody?
        struct ErrorBody: Encodable { let field: String, detail: String, pointer: String }
    }

    package func response(instance: String, requestID: String) -> Response {
        var fields = headers
        fields[.contentType] = "application/problem+json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body(instance: instance, requestID: requestID))))
    }

    func body(instance: String, requestID: String) -> Data {
        let body = Body(
            type: "urn:platform:problem:\(kind)", title: title, status: Int(status.code), detail: detail, instance: instance,
            requestId: requestID,
            errors: errors.isEmpty ? nil : errors.map { .init(field: $0.field, detail: $0.detail, pointer: "/" + $0.field) }, balance: balance)
        return (try? JSONCoding.encoder.encode(body)) ?? Data()
    }
}
