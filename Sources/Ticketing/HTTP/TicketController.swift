import Crypto
import Foundation
import Hummingbird
import Platform

/// Tickets of an order, and their QR codes, for the buyer (order access token) and the organizer.
struct TicketController {
    let tickets: Tickets
    let baseURL: String
    let modulePixels: Int

    func register(open: RouteRegistrar<AppRequestContext>, organizer: RouteRegistrar<OrganizerContext>) {
        open.on(.get, "public/orders/{id}/tickets", use: publicList)
        open.on(.get, "public/tickets/{id}/qr.png", use: publicQR)
        organizer.on(.get, "orders/{id}/tickets", use: list)
        organizer.on(.get, "tickets/{id}/qr.png", use: qr)
    }

    @Sendable func publicList(_ request: Request, context: AppRequestContext) async throws -> Response {
        let token = try request.orderAccessToken(orNotFound: "order")
        let found = try await tickets.forOrder(try context.pathID(OrderID.self), accessToken: token)
        // A session token stays in its header or cookie; only a token that came in the URL goes back into URLs.
        let query = request.uri.queryParameters["token"] == nil ? "" : "?token=" + URLForm.escape(token)
        return try JSONCoding.response(ListBody(data: found.map {
            TicketBody($0, qrURL: "\(baseURL)/api/v1/public/tickets/\($0.id)/qr.png\(query)")
        }, nextCursor: nil))
    }

    @Sendable func publicQR(_ request: Request, context: AppRequestContext) async throws -> Response {
        try png(try await tickets.find(try context.pathID(TicketID.self), accessToken: try request.orderAccessToken(orNotFound: "ticket")),
                request: request)
    }

    @Sendable func list(_ request: Request, context: OrganizerContext) async throws -> Response {
        let found = try await tickets.forOrder(try context.pathID(OrderID.self), organizer: context.organizer)
        return try JSONCoding.response(ListBody(data: found.map { TicketBody($0, qrURL: "\(baseURL)/api/v1/tickets/\($0.id)/qr.png") },
                                                nextCursor: nil))
    }

    @Sendable func qr(_ request: Request, context: OrganizerContext) async throws -> Response {
        try png(try await tickets.find(try context.pathID(TicketID.self), organizer: context.organizer), request: request)
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
