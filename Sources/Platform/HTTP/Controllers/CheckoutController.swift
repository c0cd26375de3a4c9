import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import PluginKit

/// Buyer routes: placing an order (idempotent, rate limited) and reading it with its access token.
struct CheckoutController {
    static let idempotencyHeader = HTTPField.Name("Idempotency-Key")!
    static let replayedHeader = HTTPField.Name("Idempotent-Replayed")!

    let checkout: Checkout
    let orders: Orders
    let limiter: RateLimiter
    let trustForwardedFor: Bool
    let maxBodyBytes: Int

    func register(_ routes: RouteRegistrar<AppRequestContext>) {
        routes.on(.post, "public/events/{id}/orders", use: place)
        routes.on(.get, "public/orders/{id}", use: show)
    }

    @Sendable func place(_ request: Request, context: AppRequestContext) async throws -> Response {
        try limiter.enforce(request.clientAddress(context, trustForwardedFor: trustForwardedFor), counting: "orders", per: "one client")
        guard let key = request.headers[Self.idempotencyHeader], (1...255).contains(key.count) else {
            throw Problem(.badRequest, kind: "idempotency-key-required", title: "Idempotency-Key required",
                          detail: "send an Idempotency-Key header of 1 to 255 characters")
        }
        let eventID = try context.pathID(EventID.self)
        let body = try await RequestFields.collect(request, limit: maxBodyBytes)
        let idempotency = IdempotentRequest(scope: "checkout:\(eventID)", key: key, requestHash: SHA256.hash(data: Data(buffer: body)).hexString)
        do {
            let answer = try await checkout.place(try Self.input(eventID: eventID, body: body), idempotency: idempotency)
            return Self.response(answer.response, replayed: answer.replayed)
        } catch let conflict as IdempotencyConflict {
            throw conflict
        } catch {
            // A failure the client caused is the key's answer; a transient one (ours or the provider's) is not.
            let problem = Problem.from(error, maxBodyBytes: maxBodyBytes, logger: context.logger)
            let stored = StoredResponse(status: Int(problem.status.code),
                                        body: String(decoding: problem.body(instance: request.uri.path, requestID: context.requestID), as: UTF8.self))
            guard try await checkout.keys.answerFailure(idempotency, with: stored) else { throw problem }
            return Self.response(stored, replayed: false)
        }
    }

    static func response(_ stored: StoredResponse, replayed: Bool) -> Response {
        var headers: HTTPFields = [.contentType: stored.status >= 400 ? "application/problem+json" : "application/json"]
        if replayed { headers[Self.replayedHeader] = "true" }
        return Response(status: .init(code: stored.status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: stored.body)))
    }

    static func input(eventID: EventID, body: ByteBuffer) throws -> CheckoutInput {
        let fields = try RequestFields.parse(body)
        let lines = fields.objects("lines").map { line -> CartLine in
            let text = line.required(line.string("variant_id"), "variant_id", placeholder: "")
            let id = VariantID(text)
            if id == nil, !text.isEmpty { line.fail("variant_id", "is not a variant id") }
            let quantity = line.required(line.integer("quantity"), "quantity", placeholder: 1)
            return CartLine(variantID: id ?? VariantID.generate(at: Timestamp(milliseconds: 0)), quantity: quantity)
        }
        let input = CheckoutInput(
            eventID: eventID, lines: lines, email: fields.required(fields.string("email"), "email", placeholder: ""),
            name: fields.optional(fields.string("name"), "name"),
            provider: fields.optional(fields.string("provider"), "provider"),
            successURL: fields.optional(fields.string("success_url"), "success_url"),
            cancelURL: fields.optional(fields.string("cancel_url"), "cancel_url"))
        try fields.finish()
        return input
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let order = try await orders.find(try context.pathID(OrderID.self), accessToken: try request.orderAccessToken(orNotFound: "order"))
        var response = try JSONCoding.response(PublicOrderBody(order))
        response.headers[.cacheControl] = "no-store"
        return response
    }
}
