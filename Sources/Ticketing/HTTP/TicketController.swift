import Crypto
import Foundation
import Hummingbird
import Platform

/// Tickets of an order, and their QR codes, for the buyer (order access token) and the organizer.
struct TicketController {
    let database: any Database
    let clock: any WallClock
    let baseURL: String
    let modulePixels: Int

    func register(api: RouteRegistrar, authenticated: RouteRegistrar) {
        api.on(.get, "public/orders/{id}/tickets", use: publicList)
        api.on(.get, "public/tickets/{id}/qr.png", use: publicQR)
        authenticated.on(.get, "orders/{id}/tickets", use: list)
        authenticated.on(.get, "tickets/{id}/qr.png", use: qr)
    }

    @Sendable func publicList(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.pathID(OrderID.self)
        let token = try request.orderAccessToken(orNotFound: "order")
        let hash = CheckoutService.hashAccessToken(token)
        let now = clock.now()
        let tickets = try await database.read { sql in
            guard try await OrderRepository(sql).find(id, accessTokenHash: hash, at: now) != nil else { throw PlatformError.notFound("order") }
            return try await TicketRepository(sql).forOrder(id)
        }
        // A session token stays in its header or cookie; only a token that came in the URL goes back into URLs.
        let query = request.uri.queryParameters["token"] == nil ? ""
            : "?token=" + URLForm.escape(token)
        return try JSONCoding.response(ListBody(data: tickets.map {
            TicketBody($0, qrURL: "\(baseURL)/api/v1/public/tickets/\($0.id)/qr.png\(query)")
        }, nextCursor: nil))
    }

    @Sendable func publicQR(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.pathID(TicketID.self)
        let hash = CheckoutService.hashAccessToken(try request.orderAccessToken(orNotFound: "ticket"))
        let now = clock.now()
        let ticket = try await database.read { sql -> Ticket in
            guard let ticket = try await TicketRepository(sql).find(id),
                  try await OrderRepository(sql).find(ticket.orderID, accessTokenHash: hash, at: now) != nil else { throw PlatformError.notFound("ticket") }
            return ticket
        }
        return try png(ticket, request: request)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let organizer = try context.requireOrganizer()
        let id = try context.pathID(OrderID.self)
        let tickets = try await database.read { sql in
            guard try await OrderRepository(sql).find(id, organizer: organizer) != nil else { throw PlatformError.notFound("order") }
            return try await TicketRepository(sql).forOrder(id)
        }
        return try JSONCoding.response(ListBody(data: tickets.map { TicketBody($0, qrURL: "\(baseURL)/api/v1/tickets/\($0.id)/qr.png") },
                                                nextCursor: nil))
    }

    @Sendable func qr(_ request: Request, context: AppRequestContext) async throws -> Response {
        let organizer = try context.requireOrganizer()
        let id = try context.pathID(TicketID.self)
        guard let ticket = try await database.read({ sql in try await TicketRepository(sql).find(id) }), ticket.organizerID == organizer else {
            throw PlatformError.notFound("ticket")
        }
        return try png(ticket, request: request)
    }

    /// The PNG, cacheable by the browser until the token changes (its ETag is the token's hash).
    private func png(_ ticket: Ticket, request: Request) throws -> Response {
        guard ticket.status == .valid else { throw PlatformError.conflict("the ticket is \(ticket.status.rawValue); it has no QR code") }
        var scale = modulePixels
        if let text = request.uri.queryParameters["scale"] {
            guard let value = Int(String(text)), (2...20).contains(value) else { throw ValidationFailure(field: "scale", "must be an integer from 2 to 20") }
            scale = value
        }
        let digest = SHA256.hash(data: Data((ticket.token + "/\(scale)").utf8)).prefix(12).hexString
        let etag = "\"\(digest)\""
        var headers: HTTPFields = [.cacheControl: "private, max-age=86400", .eTag: etag]
        if request.headers[.ifNoneMatch] == etag { return Response(status: .notModified, headers: headers) }
        let bytes = try QRCode.png(for: ticket.token, scale: scale)
        headers[.contentType] = "image/png"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
