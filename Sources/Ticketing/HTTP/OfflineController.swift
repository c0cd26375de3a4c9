import Hummingbird
import Platform

/// Offline check-in: the signed bundle a device takes to the door, and the upload of its scans.
struct OfflineController {
    let offline: OfflineService
    let limiter: RateLimiter
    let maxBodyBytes: Int
    static let maxScansPerUpload = 10_000

    func register(_ routes: RouteRegistrar<ScannerContext>) {
        routes.on(.get, "events/{id}/checkin/bundle", use: bundle)
        routes.on(.post, "events/{id}/checkin/sync", use: sync)
    }

    @Sendable func bundle(_ request: Request, context: ScannerContext) async throws -> Response {
        try JSONCoding.response(try await offline.bundle(event: try context.event(), organizer: context.scanner.organizer))
    }

    @Sendable func sync(_ request: Request, context: ScannerContext) async throws -> Response {
        let (scanner, event) = (context.scanner, try context.event())
        try limiter.enforce(scanner.device, counting: "uploads", per: "one device")
        let fields = try await RequestFields.read(request, limit: maxBodyBytes)
        let items = fields.objects("scans")
        if items.count > Self.maxScansPerUpload { fields.fail("scans", "must hold at most \(Self.maxScansPerUpload) scans") }
        var scans: [OfflineScan] = []
        var nonces = Set<String>()
        for item in items {
            let nonce = item.required(item.string("nonce"), "nonce", placeholder: "")
            let token = item.optional(item.string("token"), "token")
            let ticket = item.optional(item.string("ticket_id"), "ticket_id")
            let at = item.required(item.timestamp("scanned_at"), "scanned_at", placeholder: Timestamp(milliseconds: 0))
            let direction = item.optional(item.choice("direction", ScanDirection.self), "direction") ?? .entry
            if !nonce.isEmpty, !(1...128).contains(nonce.count) { item.fail("nonce", "must be 1 to 128 characters") }
            if !nonce.isEmpty, !nonces.insert(nonce).inserted { item.fail("nonce", "appears twice in this upload") }
            if token == nil && ticket == nil { item.fail("token", "a token or a ticket_id is required") }
            let ticketID = ticket.flatMap(TicketID.init)
            if ticket != nil && ticketID == nil { item.fail("ticket_id", "is not a ticket id") }
            scans.append(OfflineScan(nonce: nonce, token: token, ticketID: ticketID, scannedAt: at, direction: direction))
        }
        try fields.finish()
        return try JSONCoding.response(try await offline.sync(scans, event: event, scanner: scanner))
    }
}
