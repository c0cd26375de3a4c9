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
    /// Resolves the buyer session whose wallet pays an order's credit part.
    let signIn: BuyerSignIn
    let limiter: RateLimiter
    let trustForwardedFor: Bool
    let maxBodyBytes: Int

    func register(_ routes: RouteRegistrar<AppRequestContext>) {
        routes.on(.post, "public/events/{id}/orders", use: place)
        routes.on(.get, "public/orders/{id}", use: show)
    }

    @Sendable func place(_ request: Request, context: AppRequestContext) async throws -> Response {
        try limiter.enforce(request.clientAddress(context, trustForwardedFor: trustForwardedFor), counting: "orders", per: "one client")
        let eventID = try context.pathID(EventID.self)
        return try await Self.underIdempotencyKey(request, context: context, scope: "checkout:\(eventID)", keys: checkout.keys,
                                                  maxBodyBytes: maxBodyBytes) { body, idempotency in
            var input = try Self.input(eventID: eventID, body: body)
            if input.creditUse != nil || input.provider == Checkout.creditProvider {
                input.walletEmail = try await walletEmail(request)
            }
            return try await checkout.place(input, idempotency: idempotency)
        }
    }

    /// Places an order (or a pack purchase) under the request's Idempotency-Key: the body read and
    /// hashed, `place` given it, and its answer (or a failure the client caused) kept as the key's.
    /// - Throws: 400 without a key of 1 to 255 characters; transient failures, which the key does not keep.
    static func underIdempotencyKey(_ request: Request, context: AppRequestContext, scope: String, keys: IdempotencyKeys, maxBodyBytes: Int,
                                    _ place: (ByteBuffer, IdempotentRequest) async throws -> IdempotentAnswer) async throws -> Response {
        guard let key = request.headers[Self.idempotencyHeader], (1...255).contains(key.count) else {
            throw Problem(.badRequest, kind: "idempotency-key-required", title: "Idempotency-Key required",
                          detail: "send an Idempotency-Key header of 1 to 255 characters")
        }
        let body = try await RequestFields.collect(request, limit: maxBodyBytes)
        let idempotency = IdempotentRequest(scope: scope, key: key, requestHash: SHA256.hash(data: Data(buffer: body)).hexString)
        do {
            let answer = try await place(body, idempotency)
            return Self.response(answer.response, replayed: answer.replayed)
        } catch let conflict as IdempotencyConflict {
            throw conflict
        } catch {
            // A failure the client caused is the key's answer; a transient one (ours or the provider's) is not,
            // nor one the buyer mends without changing the request (signing in, buying credit).
            let problem = Problem.from(error, maxBodyBytes: maxBodyBytes, logger: context.logger)
            if problem.status == .unauthorized || problem.kind == "insufficient-credit" { throw problem }
            let stored = StoredResponse(status: Int(problem.status.code),
                                        body: String(decoding: problem.body(instance: request.uri.path, requestID: context.requestID), as: UTF8.self))
            guard try await keys.answerFailure(idempotency, with: stored) else { throw problem }
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
        var input = CheckoutInput(
            eventID: eventID, lines: lines, email: fields.required(fields.string("email"), "email", placeholder: ""),
            name: fields.optional(fields.string("name"), "name"),
            provider: fields.optional(fields.string("provider"), "provider"),
            successURL: fields.optional(fields.string("success_url"), "success_url"),
            cancelURL: fields.optional(fields.string("cancel_url"), "cancel_url"))
        input.creditUse = fields.optional(fields.creditUse("use_credit"), "use_credit")
        try fields.finish()
        return input
    }

    /// The address of the buyer session sent as Bearer, whose wallet pays; nil without one.
    /// - Throws: 401 for a token that is no open session.
    func walletEmail(_ request: Request) async throws -> String? {
        guard let token = request.bearerToken else { return nil }
        guard let session = try await signIn.session(token: token) else {
            throw Problem.unauthorized("the buyer session has ended or does not exist: sign in to My tickets again")
        }
        return session.email
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let order = try await orders.find(try context.pathID(OrderID.self), accessToken: try request.orderAccessToken(orNotFound: "order"))
        var response = try JSONCoding.response(PublicOrderBody(order))
        response.headers[.cacheControl] = "no-store"
        return response
    }
}
