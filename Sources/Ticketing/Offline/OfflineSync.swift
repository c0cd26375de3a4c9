import Platform
import SQLKit

/// One scan a device made offline, as it uploads it.
package struct OfflineScan: Sendable, Hashable {
    package let nonce: String
    package let token: String?
    package let ticketID: TicketID?
    package let scannedAt: Timestamp
    package let direction: ScanDirection
    /// Its place in the upload, which its result names.
    package let index: Int?

    package init(nonce: String, token: String?, ticketID: TicketID?, scannedAt: Timestamp, direction: ScanDirection = .entry, index: Int? = nil) {
        self.nonce = nonce
        self.token = token
        self.ticketID = ticketID
        self.scannedAt = scannedAt
        self.direction = direction
        self.index = index
    }
}

package struct SyncReport: Sendable, Codable, Hashable {
    package var received = 0
    package var recorded = 0
    /// Scans already uploaded before (same device and nonce): kept once.
    package var replayed = 0
    package var conflicts: [SyncConflict] = []
    package var results: [Item] = []

    package struct Item: Sendable, Codable, Hashable {
        /// The scan's place in the upload (from 0).
        package let index: Int?
        /// Nil only for an item without a usable nonce.
        package let nonce: String?
        package let result: ScanResult
        package let ticketId: String?
        /// Why an item was not recorded (`invalid`): its fields and what is wrong with each.
        package var reason: String? = nil
    }
}

/// Builds offline bundles and takes back what devices scanned offline.
package struct OfflineService: Sendable {
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

    package func bundle(event: EventID, organizer: OrganizerID) async throws -> OfflineBundle {
        let now = clock.now()
        let tickets = try await database.read { sql in
            guard try await EventRepository(sql).find(event, organizer: organizer) != nil else { throw PlatformError.notFound("event") }
            return try await TicketRepository(sql).forEvent(event)
        }
        let contents = BundleContents(
            format: BundleContents.currentFormat, eventId: event.rawValue, organizerId: organizer.rawValue, generatedAtMs: now.milliseconds,
            generatedAt: now.rfc3339, keys: keys.publicKeys,
            tickets: tickets.map { .init(id: $0.id.rawValue, variantId: $0.variantID.rawValue, status: $0.status, version: $0.version,
                                         admittedAt: $0.admittedAt?.rfc3339) },
            blocklist: tickets.compactMap { ticket in ticket.blockedReason.map { .init(ticketId: ticket.id.rawValue, reason: $0) } })
        return try OfflineBundle.sign(contents, with: keys)
    }

    /// Records each scan once (by device and nonce) in time order. An admission earlier than the
    /// recorded first one replaces it; a later one is reported as a conflict with both devices.
    package func sync(_ scans: [OfflineScan], event: EventID, scanner: Scanner) async throws -> SyncReport {
        let now = clock.now()
        var checked: [(OfflineScan, TokenCheck?)] = []
        for scan in scans.sorted(by: { ($0.scannedAt, $0.nonce) < ($1.scannedAt, $1.nonce) }) {
            // Judged at the time of the scan: a token that expired later was good at the door.
            var check: TokenCheck?
            if let token = scan.token { check = await keys.check(token, now: scan.scannedAt) }
            checked.append((scan, check))
        }
        let items = checked
        return try await database.transaction { sql in
            guard try await EventRepository(sql).find(event, organizer: scanner.organizer) != nil else { throw PlatformError.notFound("event") }
            var report = SyncReport(received: items.count)
            var changes: [AuditedChange] = []
            for (scan, check) in items {
                if let earlier = try await ScanRepository(sql).answer(device: scanner.device, nonce: scan.nonce) {
                    report.replayed += 1
                    report.add(scan, try ScanAnswer(json: earlier))
                    continue
                }
                let (answer, change) = try await reconcile(scan, check: check, event: event, scanner: scanner, on: sql)
                if let change { changes.append(change) }
                try await ScanRepository(sql).insert(try ScanRecord(
                    id: try StoredValue.id(answer.scanId), organizer: scanner.organizer, event: event,
                    ticket: answer.ticket.flatMap { TicketID($0.id) }, device: scanner.device, nonce: scan.nonce,
                    direction: scan.direction, offline: true, answer: answer, scannedAt: scan.scannedAt, recordedAt: now))
                report.recorded += 1
                report.add(scan, answer)
            }
            try await AuditTrail.record(changes, at: now, on: sql)
            return report
        }
    }

    /// The scan's answer, and the change to audit when it moved the ticket.
    private func reconcile(_ scan: OfflineScan, check: TokenCheck?, event: EventID, scanner: Scanner,
                           on sql: any SQLDatabase) async throws -> (ScanAnswer, AuditedChange?) {
        let answer = try await decide(scan, check: check, event: event, scanner: scanner, on: sql)
        guard let ticket = answer.before, let after = answer.after else { return (answer.answer, nil) }
        // A first admission is news; an earlier one replacing a recorded admission only corrects its time.
        let action = switch answer.answer.result {
        case .exited: "ticket.exited"
        default: ticket.admittedAt == nil ? "ticket.admitted" : "ticket.admission_corrected"
        }
        return (answer.answer, trail.change(action, before: ticket, after: after))
    }

    private func decide(_ scan: OfflineScan, check: TokenCheck?, event: EventID, scanner: Scanner,
                        on sql: any SQLDatabase) async throws -> (answer: ScanAnswer, before: Ticket?, after: Ticket?) {
        let scanID = ScanID.generate(at: scan.scannedAt)
        let tickets = TicketRepository(sql)
        var ticketID = scan.ticketID
        switch check {
        case let .invalid(reason)?: return (ScanAnswer(result: .invalid, reason: reason, scanID: scanID, at: scan.scannedAt), nil, nil)
        case let .valid(claims)?, let .expired(claims)?, let .notValidYet(claims)?: ticketID = TicketID(claims.sub)
        case nil: break
        }
        guard let id = ticketID, let ticket = try await tickets.find(id), ticket.organizerID == scanner.organizer else {
            return (ScanAnswer(result: .invalid, reason: "unknown ticket", scanID: scanID, at: scan.scannedAt), nil, nil)
        }
        func answer(_ result: ScanResult, _ shown: Ticket = ticket, reason: String? = nil) -> (answer: ScanAnswer, before: Ticket?, after: Ticket?) {
            (ScanAnswer(result: result, ticket: shown, reason: reason, scanID: scanID, at: scan.scannedAt), nil, nil)
        }
        guard ticket.eventID == event else { return answer(.wrongEvent) }
        if case .expired? = check { return answer(.expired) }
        if case .notValidYet? = check { return answer(.notValidYet) }
        if ticket.status == .refunded { return answer(.refunded) }
        if ticket.status == .cancelled { return answer(.cancelled) }
        if scan.direction == .exit {
            guard let left = try await tickets.exit(id, at: scan.scannedAt) else { return answer(.notInside) }
            return (answer(.exited, left).answer, ticket, left)
        }
        if let reason = ticket.blockedReason { return answer(.blocked, reason: reason) }
        if try await tickets.admitIfEarliest(id, device: scanner.device, at: scan.scannedAt) {
            var admitted = ticket
            admitted.admittedAt = scan.scannedAt
            admitted.admittedBy = scanner.device
            admitted.inside = true
            var result = answer(.admitted, admitted).answer
            if let earlierAt = ticket.admittedAt, let earlierBy = ticket.admittedBy {
                // The recorded admission was later than this one: it becomes the conflicting one.
                result.conflict = SyncConflict(ticketId: id.rawValue, firstDevice: scanner.device, firstAt: scan.scannedAt.rfc3339,
                                               laterDevice: earlierBy, laterAt: earlierAt.rfc3339)
            }
            return (result, ticket, admitted)
        }
        var result = answer(.alreadyAdmitted).answer
        if let firstAt = ticket.admittedAt, let firstBy = ticket.admittedBy {
            result.conflict = SyncConflict(ticketId: id.rawValue, firstDevice: firstBy, firstAt: firstAt.rfc3339,
                                           laterDevice: scanner.device, laterAt: scan.scannedAt.rfc3339)
        }
        return (result, nil, nil)
    }
}

extension SyncReport {
    mutating func add(_ scan: OfflineScan, _ answer: ScanAnswer) {
        results.append(Item(index: scan.index, nonce: scan.nonce, result: answer.result, ticketId: answer.ticket?.id,
                            reason: answer.result == .invalid ? answer.reason : nil))
        if let conflict = answer.conflict { conflicts.append(conflict) }
    }
}
