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
        let items = fields.separateObjects("scans")
        if items.count > Self.maxScansPerUpload { fields.fail("scans", "must hold at most \(Self.maxScansPerUpload) scans") }
        try fields.finish()
        // Each scan is judged on its own: a bad one is answered `invalid` with the reason, and the
        // others are recorded (a device must never be stuck behind one item it cannot fix).
        var scans: [OfflineScan] = []
        var refused: [SyncReport.Item] = []
        var nonces = Set<String>()
        for (index, item) in items.enumerated() {
            guard let item else {
                refused.append(.init(index: index, nonce: nil, result: .invalid, ticketId: nil, reason: "must be an object"))
                continue
            }
            let nonce = item.required(item.string("nonce"), "nonce", placeholder: "", where: { (1...128).contains($0.unicodeScalars.count) },
                                      "must be 1 to 128 characters")
            let token = item.optional(item.string("token"), "token")
            let ticket = item.optional(item.string("ticket_id"), "ticket_id")
            let at = item.required(item.timestamp("scanned_at"), "scanned_at", placeholder: Timestamp(milliseconds: 0))
            let direction = item.optional(item.choice("direction", ScanDirection.self), "direction") ?? .entry
            if token == nil && ticket == nil { item.fail("token", "a token or a ticket_id is required") }
            let ticketID = ticket.flatMap(TicketID.init)
            if ticket != nil && ticketID == nil { item.fail("ticket_id", "is not a ticket id") }
            // Among the scans that are otherwise good: a bad one does not take its nonce.
            if item.problems == nil, !nonces.insert(nonce).inserted { item.fail("nonce", "appears twice in this upload") }
            if let problems = item.problems {
                let named = (1...128).contains(nonce.unicodeScalars.count) ? nonce : nil
                refused.append(.init(index: index, nonce: named, result: .invalid, ticketId: nil, reason: problems))
                continue
            }
            scans.append(OfflineScan(nonce: nonce, token: token, ticketID: ticketID, scannedAt: at, direction: direction, index: index))
        }
        var report = try await offline.sync(scans, event: event, scanner: scanner)
        report.received = items.count
        report.results = (report.results + refused).sorted { ($0.index ?? 0) < ($1.index ?? 0) }
        return try JSONCoding.response(report)
    }
}
