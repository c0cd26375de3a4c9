import Hummingbird
import Platform

/// The door: online scans, block and unblock, statistics and the scan log.
struct CheckinController {
    let checkin: CheckinService
    let limiter: RateLimiter
    let maxBodyBytes: Int

    func register(scanners: RouteRegistrar<ScannerContext>, organizer: RouteRegistrar<OrganizerContext>) {
        scanners.on(.post, "checkin/scan", use: scan)
        scanners.on(.post, "checkin/block", use: block)
        scanners.on(.post, "checkin/unblock", use: unblock)
        scanners.on(.get, "events/{id}/stats", use: stats)
        scanners.on(.get, "events/{id}/checkin/search", use: search)
        organizer.on(.get, "events/{id}/checkin/scans", use: scans)
    }

    @Sendable func scan(_ request: Request, context: ScannerContext) async throws -> Response {
        let scanner = context.scanner
        try limiter.enforce(scanner.device, counting: "scans", per: "one device")
        let fields = try await RequestFields.read(request, limit: maxBodyBytes)
        // A code's token, or (manual check-in) the id of a ticket found by its buyer.
        let token = fields.optional(fields.string("token"), "token")
        let ticket = fields.optional(fields.string("ticket_id"), "ticket_id")
        let nonce = fields.optional(fields.string("nonce"), "nonce")
        let direction = fields.optional(fields.choice("direction", ScanDirection.self), "direction") ?? .entry
        if let nonce, !(1...128).contains(nonce.unicodeScalars.count) { fields.fail("nonce", "must be 1 to 128 characters") }
        if token == nil && ticket == nil { fields.fail("token", "a token or a ticket_id is required") }
        if token != nil && ticket != nil { fields.fail("ticket_id", "give a token or a ticket_id, not both") }
        if token?.isEmpty == true { fields.fail("token", "must not be empty") }
        let ticketID = ticket.flatMap(TicketID.init)
        if ticket != nil && ticketID == nil { fields.fail("ticket_id", "is not a ticket id") }
        try fields.finish()
        if let ticketID {
            return JSONCoding.response(json: try await checkin.scan(ticket: ticketID, by: scanner, nonce: nonce, direction: direction))
        }
        return JSONCoding.response(json: try await checkin.scan(token ?? "", by: scanner, nonce: nonce, direction: direction))
    }

    @Sendable func block(_ request: Request, context: ScannerContext) async throws -> Response {
        try await setBlocked(true, request, context)
    }

    @Sendable func unblock(_ request: Request, context: ScannerContext) async throws -> Response {
        try await setBlocked(false, request, context)
    }

    private func setBlocked(_ blocked: Bool, _ request: Request, _ context: ScannerContext) async throws -> Response {
        let scanner = context.scanner
        let fields = try await RequestFields.read(request, limit: maxBodyBytes)
        let text = fields.required(fields.string("ticket_id"), "ticket_id", placeholder: "")
        let reason = fields.required(fields.string("reason"), "reason", placeholder: "", where: { TextRules.isPresent($0, max: 500) },
                                     "must be 1 to 500 characters")
        try fields.finish()
        guard let id = TicketID(text) else { throw PlatformError.notFound("ticket") }
        let ticket = try await checkin.setBlocked(id, blocked: blocked, reason: reason, organizer: scanner.organizer, actor: scanner.device,
                                                  event: scanner.event)
        return try JSONCoding.response(BlockBody(ticketId: ticket.id.rawValue, blocked: ticket.blockedReason != nil, reason: ticket.blockedReason))
    }

    @Sendable func stats(_ request: Request, context: ScannerContext) async throws -> Response {
        try JSONCoding.response(try await checkin.stats(event: try context.event(), organizer: context.scanner.organizer))
    }

    /// `?q=`: a text of 1 to 200 characters (`TextRules.isPresent`); an order id or a part of the
    /// buyer's email or name.
    @Sendable func search(_ request: Request, context: ScannerContext) async throws -> Response {
        let text = request.uri.queryParameters["q"].map(String.init) ?? ""
        guard TextRules.isPresent(text, max: 200) else {
            throw ValidationFailure(field: "q", "must be 1 to 200 characters, not all spaces, without control characters")
        }
        let found = try await checkin.search(event: try context.event(), organizer: context.scanner.organizer, text: text)
        return try JSONCoding.response(ListBody(data: found, nextCursor: nil))
    }

    struct ScanBody: Encodable {
        let id: String, ticketId: String?, device: String, direction: String, source: String, result: String, scannedAt: String
    }

    @Sendable func scans(_ request: Request, context: OrganizerContext) async throws -> Response {
        let page = try Page(request)
        let rows = try await checkin.scans(event: try context.pathID(EventID.self), organizer: context.organizer,
                                           after: try page.cursor(ScanID.self), limit: page.limit)
        let bodies = rows.map {
            ScanBody(id: $0.id, ticketId: $0.ticketId, device: $0.device, direction: $0.direction, source: $0.source, result: $0.result,
                     scannedAt: Timestamp(milliseconds: $0.scannedAt).rfc3339)
        }
        return try JSONCoding.response(ListBody(data: bodies, nextCursor: rows.count == page.limit ? rows.last?.id : nil))
    }
}
