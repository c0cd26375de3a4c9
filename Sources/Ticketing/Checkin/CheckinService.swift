import Platform
import SQLKit

/// Online check-in: a token checked (against the stored token, or by its signature), then one
/// conditional update of the ticket row written together with the record of the scan.
package struct CheckinService: Sendable {
    let database: any Database
    let clock: any WallClock
    let keys: TicketKeyRing
    let trail: TicketTrail

    package init(database: any Database, clock: any WallClock, keys: TicketKeyRing, baseURL: String) {
        self.trail = TicketTrail(baseURL: baseURL)
        self.database = database
        self.clock = clock
        self.keys = keys
    }

    /// The answer as JSON, exactly as it is stored with the scan: the same bytes answer a retry.
    package func scan(_ token: String, by scanner: Scanner, nonce: String?, direction: ScanDirection = .entry) async throws -> String {
        let now = clock.now()
        if direction == .entry, let answer = try await retried(nonce, by: scanner, { try await admitAsIssued(token, by: scanner, nonce: nonce, now: now) }) {
            return answer
        }
        let check = await keys.check(token, now: now)
        return try await record(check, by: scanner, nonce: nonce, direction: direction, now: now)
    }

    /// A manual check-in: the ticket door staff found by its buyer (no code to show), judged as a
    /// scan of its current token would be, and recorded as an online scan.
    package func scan(ticket id: TicketID, by scanner: Scanner, nonce: String?, direction: ScanDirection = .entry) async throws -> String {
        let now = clock.now()
        guard let ticket = try await database.read({ sql in try await TicketRepository(sql).find(id) }), ticket.organizerID == scanner.organizer else {
            return try await record(.invalid("unknown ticket"), by: scanner, nonce: nonce, direction: direction, now: now)
        }
        let seconds = now.milliseconds / 1000
        let claims = TicketClaims(sub: ticket.id.rawValue, evt: ticket.eventID.rawValue, var: ticket.variantID.rawValue, ver: ticket.version,
                                  iat: seconds, exp: seconds + 60)
        return try await record(.valid(claims), by: scanner, nonce: nonce, direction: direction, now: now)
    }

    /// The work of `body`, or, for a nonce used before, its first answer.
    private func retried(_ nonce: String?, by scanner: Scanner, _ body: () async throws -> String?) async throws -> String? {
        do {
            return try await body()
        } catch {
            if let nonce, let earlier = try? await database.read({ sql in try await ScanRepository(sql).answer(device: scanner.device, nonce: nonce) }) {
                return earlier
            }
            throw error
        }
    }

    private func record(_ check: TokenCheck, by scanner: Scanner, nonce: String?, direction: ScanDirection, now: Timestamp) async throws -> String {
        try await retried(nonce, by: scanner) {
            try await database.transaction { sql in
                let (answer, ticket, change) = try await decide(check, scanner: scanner, direction: direction, now: now, on: sql)
                if let change { try await AuditTrail.record([change], at: now, on: sql) }
                let record = try ScanRecord(
                    id: try StoredValue.id(answer.scanId), organizer: scanner.organizer, event: ticket?.eventID ?? scanner.event,
                    ticket: ticket?.id, device: scanner.device, nonce: nonce, direction: direction, offline: false, answer: answer,
                    scannedAt: now, recordedAt: now)
                // A retry: rolling back undoes this attempt's admission, and the first answer is given back.
                guard try await ScanRepository(sql).insert(record) else { throw ScanRepository.NonceTaken() }
                return record.answer
            }
        } ?? ""  // never empty: the transaction always answers
    }

    /// The common entries, in one read and one write: a ticket that can be admitted, or one inside
    /// already (a re-scan), presented with exactly the token the server issued and stored for it.
    /// That token is authentic without checking its Ed25519 signature, which was the largest cost
    /// of a scan. Nil when the scan is anything else; the full check then decides it and says why.
    private func admitAsIssued(_ token: String, by scanner: Scanner, nonce: String?, now: Timestamp) async throws -> String? {
        guard let claims = TokenVerifier.unverifiedClaims(token), TokenVerifier.judge(claims, now: now) == .valid(claims),
              scanner.event.map({ $0.rawValue == claims.evt }) ?? true, let id = TicketID(claims.sub),
              let (ticket, published, admittedByLabel) = try await database.read({ sql in try await TicketRepository(sql).findForEntry(id) }),
              ticket.token.constantTimeEquals(token), ticket.organizerID == scanner.organizer, ticket.eventID.rawValue == claims.evt,
              ticket.variantID.rawValue == claims.var, ticket.version == claims.ver, ticket.status == .valid, ticket.blockedAt == nil
        else { return nil }
        guard !ticket.inside else { return try await alreadyInside(ticket, admittedByLabel: admittedByLabel, by: scanner, nonce: nonce, now: now) }
        var admitted = ticket
        admitted.inside = true
        admitted.admittedAt = ticket.admittedAt ?? now
        admitted.admittedBy = ticket.admittedBy ?? scanner.device
        let answer = ScanAnswer(result: .admitted, ticket: admitted, scanID: ScanID.generate(at: now), at: now)
        let record = try Self.onlineEntry(answer, of: ticket, by: scanner, nonce: nonce, at: now)
        // Only the first entry is news to integrators; entering again after an exit is audited apart.
        let action = ticket.admittedAt == nil ? "ticket.admitted" : "ticket.reentered"
        return try await Admission(before: ticket, after: admitted, record: record, change: trail.change(action, before: ticket, after: admitted),
                                   published: published && action == "ticket.admitted").write(to: database, at: now) ? record.answer : nil
    }

    /// A re-scan of a ticket inside, answered as the full check would (`already_admitted`, with the
    /// first admission's device by name) and recorded in one statement while the ticket is still as
    /// read: it changes no ticket, so there is nothing to audit. Nil when nothing was written (the
    /// ticket moved, or the nonce is taken): the full check then decides, or gives the nonce's answer.
    private func alreadyInside(_ ticket: Ticket, admittedByLabel: String?, by scanner: Scanner, nonce: String?,
                               now: Timestamp) async throws -> String? {
        let answer = Self.alreadyAdmitted(ticket, admittedByLabel: admittedByLabel, scanID: ScanID.generate(at: now), at: now)
        let record = try Self.onlineEntry(answer, of: ticket, by: scanner, nonce: nonce, at: now)
        let written = try await database.autocommit { sql in try await ScanRepository(sql).insert(record, whileInside: ticket) }
        return written ? record.answer : nil
    }

    /// The record of an online entry scan of `ticket`, answered `answer`, on the one-read path.
    private static func onlineEntry(_ answer: ScanAnswer, of ticket: Ticket, by scanner: Scanner, nonce: String?,
                                    at now: Timestamp) throws -> ScanRecord {
        try ScanRecord(id: try StoredValue.id(answer.scanId), organizer: scanner.organizer, event: ticket.eventID, ticket: ticket.id,
                       device: scanner.device, nonce: nonce, direction: .entry, offline: false, answer: answer, scannedAt: now, recordedAt: now)
    }

    /// The answer to an entry of a ticket inside; the admitting device is named when it is a key.
    private static func alreadyAdmitted(_ ticket: Ticket, admittedByLabel: String?, scanID: ScanID, at now: Timestamp) -> ScanAnswer {
        var answer = ScanAnswer(result: .alreadyAdmitted, ticket: ticket, scanID: scanID, at: now)
        if ticket.admittedBy.flatMap(APIKeyID.init) != nil { answer.firstAdmittedByName = admittedByLabel }
        return answer
    }

    /// The answer, the ticket it is about, and the change to audit when the scan moved the ticket.
    private func decide(_ check: TokenCheck, scanner: Scanner, direction: ScanDirection, now: Timestamp,
                        on sql: any SQLDatabase) async throws -> (ScanAnswer, Ticket?, AuditedChange?) {
        let scanID = ScanID.generate(at: now)
        let tickets = TicketRepository(sql)
        let claims: TicketClaims
        switch check {
        case let .invalid(reason):
            return (ScanAnswer(result: .invalid, reason: reason, scanID: scanID, at: now), nil, nil)
        case let .valid(found), let .expired(found), let .notValidYet(found):
            claims = found
        }
        if case .valid = check, direction == .entry, scanner.event.map({ $0.rawValue == claims.evt }) ?? true,
           let admitted = try await tickets.admit(claims, organizer: scanner.organizer, device: scanner.device, at: now) {
            // The update keeps the first admission's time and device: a later one is a re-entry.
            var before = admitted
            before.inside = false
            let first = admitted.admittedAt == now
            if first { (before.admittedAt, before.admittedBy) = (nil, nil) }
            return (ScanAnswer(result: .admitted, ticket: admitted, scanID: scanID, at: now), admitted,
                    trail.change(first ? "ticket.admitted" : "ticket.reentered", before: before, after: admitted))
        }
        // Not admitted: find out why, telling another organizer's ticket apart from nothing at all.
        guard let id = TicketID(claims.sub), let ticket = try await tickets.find(id), ticket.organizerID == scanner.organizer,
              ticket.eventID.rawValue == claims.evt, ticket.variantID.rawValue == claims.var else {
            return (ScanAnswer(result: .invalid, reason: "unknown ticket", scanID: scanID, at: now), nil, nil)
        }
        guard ticket.version == claims.ver else {
            return (ScanAnswer(result: .invalid, reason: "superseded token", scanID: scanID, at: now), nil, nil)
        }
        func answer(_ result: ScanResult, _ reason: String? = nil, _ shown: Ticket = ticket) -> (ScanAnswer, Ticket?, AuditedChange?) {
            (ScanAnswer(result: result, ticket: shown, reason: reason, scanID: scanID, at: now), ticket, nil)
        }
        if let event = scanner.event, event != ticket.eventID { return answer(.wrongEvent) }
        if case .expired = check { return answer(.expired) }
        if case .notValidYet = check { return answer(.notValidYet) }
        switch ticket.status {
        case .refunded: return answer(.refunded)
        case .cancelled: return answer(.cancelled)
        case .valid: break
        }
        if direction == .exit {
            if let left = try await tickets.exit(ticket.id, at: now) {
                return (answer(.exited, nil, left).0, ticket, trail.change("ticket.exited", before: ticket, after: left))
            }
            return answer(.notInside)
        }
        if let reason = ticket.blockedReason { return answer(.blocked, reason) }
        var label: String?
        if let device = ticket.admittedBy.flatMap(APIKeyID.init) { label = try await APIKeyRepository(sql).label(device) }
        return (Self.alreadyAdmitted(ticket, admittedByLabel: label, scanID: scanID, at: now), ticket, nil)
    }

    /// Blocks (with a reason) or unblocks a ticket of this organizer; both are logged with the actor.
    package func setBlocked(_ id: TicketID, blocked: Bool, reason: String, organizer: OrganizerID, actor: String,
                           event: EventID? = nil) async throws -> Ticket {
        let now = clock.now()
        return try await database.transaction { sql in
            let tickets = TicketRepository(sql)
            guard var ticket = try await tickets.find(id), ticket.organizerID == organizer, event.map({ $0 == ticket.eventID }) ?? true else {
                throw PlatformError.notFound("ticket")
            }
            try await tickets.setBlocked(id, reason: blocked ? reason : nil, at: now)
            try await tickets.logBlock(id, action: blocked ? "block" : "unblock", reason: reason, actor: actor, at: now)
            let before = ticket
            ticket.blockedReason = blocked ? reason : nil
            ticket.blockedAt = blocked ? now : nil
            try await trail.record(blocked ? "ticket.blocked" : "ticket.unblocked", before: before, after: ticket, at: now, on: sql)
            return ticket
        }
    }

    /// The scans of an event of this organizer, oldest first, after the cursor: the door's log.
    /// - Throws: `PlatformError.notFound("event")` when the event is not this organizer's.
    func scans(event: EventID, organizer: OrganizerID, after: ScanID?, limit: Int) async throws -> [ScanRepository.Listed] {
        try await database.read { sql in
            guard try await EventRepository(sql).find(event, organizer: organizer) != nil else { throw PlatformError.notFound("event") }
            return try await ScanRepository(sql).list(event: event, after: after, limit: limit)
        }
    }

    package struct VariantStats: Sendable, Codable, Hashable {
        package let variantId: String
        package let name: String
        package let quota: Int64
        package let sold: Int64
        package let admitted: Int64
        package let inside: Int64
    }

    package struct EventStats: Sendable, Codable, Hashable {
        package let eventId: String
        package let sold: Int64
        package let admitted: Int64
        package let inside: Int64
        package let variants: [VariantStats]
    }

    /// A ticket found for manual check-in, with its order's buyer.
    package struct FoundTicket: Sendable, Codable, Hashable {
        package let ticketId: String, orderId: String, seat: Int64, variantId: String, status: TicketStatus
        package let admittedAt: String?, inside: Bool, email: String, name: String?
    }

    /// The tickets of the event's paid orders whose id is `text`, or whose buyer's email or name
    /// holds it: what door staff look up when a buyer has no code (at most 50 orders).
    /// - Throws: `PlatformError.notFound` when the event is not this organizer's.
    package func search(event: EventID, organizer: OrganizerID, text: String) async throws -> [FoundTicket] {
        try await database.read { sql in
            guard try await EventRepository(sql).find(event, organizer: organizer) != nil else { throw PlatformError.notFound("event") }
            let orders = try await OrderRepository(sql).search(organizer: organizer, event: event, text: text,
                                                               statuses: [.paid, .partiallyRefunded, .refunded], from: nil, to: nil, before: nil, limit: 50)
            let buyers = Dictionary(orders.map { ($0.id, $0) }) { first, _ in first }
            return try await TicketRepository(sql).forOrders(orders.map(\.id)).compactMap { ticket in
                guard let order = buyers[ticket.orderID] else { return nil }
                return FoundTicket(ticketId: ticket.id.rawValue, orderId: order.id.rawValue, seat: ticket.seat, variantId: ticket.variantID.rawValue,
                                   status: ticket.status, admittedAt: ticket.admittedAt?.rfc3339, inside: ticket.inside, email: order.email,
                                   name: order.buyerName)
            }
        }
    }

    /// Sold (valid tickets) and admitted per variant of an event of this organizer.
    package func stats(event: EventID, organizer: OrganizerID) async throws -> EventStats {
        try await database.read { sql in
            guard try await EventRepository(sql).find(event, organizer: organizer) != nil else { throw PlatformError.notFound("event") }
            let counts = Dictionary(uniqueKeysWithValues: try await TicketRepository(sql).counts(event: event).map { ($0.variantId, $0) })
            let variants = try await VariantRepository(sql).list(event: event).map { variant in
                let count = counts[variant.id.rawValue]
                return VariantStats(variantId: variant.id.rawValue, name: variant.name, quota: variant.quota, sold: count?.sold ?? 0,
                                    admitted: count?.admitted ?? 0, inside: count?.inside ?? 0)
            }
            return EventStats(eventId: event.rawValue, sold: variants.reduce(0) { $0 + $1.sold },
                              admitted: variants.reduce(0) { $0 + $1.admitted }, inside: variants.reduce(0) { $0 + $1.inside },
                              variants: variants)
        }
    }
}
