import PluginKit
import SQLKit

/// Moves a payout on, once, with its ledger transfer in the same transaction: sent (and its notice
/// queued), settled (in transit to paid out), failed (in transit back to available) or returned
/// (paid out back to available). Provider answers and settlement events both come through here.
package struct PayoutSettlement: PayoutEventApplier {
    /// The platform's sending address (MAIL_FROM), for the payout notice.
    let mailFrom: String

    package init(mailFrom: String) { self.mailFrom = mailFrom }

    /// The provider took these payouts: recorded, and each organizer's notice queued with them.
    func sent(_ payouts: [(payout: Payout, reference: String)], organizers: [OrganizerID: Organizer], at time: Timestamp,
              on sql: any SQLDatabase) async throws {
        let moved = try await PayoutRepository(sql).markSent(payouts.map { ($0.payout.id, $0.reference) }, at: time)
        try await AuditTrail.record(payouts.filter { moved.contains($0.payout.id) }.map { payout, reference in
            var after = payout
            after.status = .sent
            after.providerReference = reference
            after.sentAt = time
            return AuditedChange("payout.sent", organizer: payout.organizerID, subject: payout.id.rawValue,
                                 changes: .fields(["status": (payout.status.rawValue, "sent"), "provider_reference": (nil, reference)]),
                                 data: PayoutBody(after))
        }, at: time, on: sql)
        // Not for one that an early event already failed.
        try await Outbox.enqueue(try payouts.filter { moved.contains($0.payout.id) }.map { payout, _ in
            guard let organizer = organizers[payout.organizerID] else { throw PlatformError.notFound("organizer") }
            return try PayoutNotice(payoutID: payout.id.rawValue, organizerID: payout.organizerID, amount: payout.amount, provider: payout.provider,
                                    coversUntil: payout.coversUntil).notice(from: mailFrom, to: organizer)
        }, at: time, on: sql)
    }

    func settle(_ id: PayoutID, reference: String?, provider: String, at time: Timestamp, on sql: any SQLDatabase) async throws -> Bool {
        try await move(id, provider: provider, from: [.sending, .sent], to: .settled, reference: reference, reason: nil, at: time, on: sql)
    }

    func fail(_ id: PayoutID, reason: String, provider: String, at time: Timestamp, on sql: any SQLDatabase) async throws -> Bool {
        try await move(id, provider: provider, from: [.sending, .sent], to: .failed, reference: nil, reason: reason, at: time, on: sql)
    }

    /// A settled payout that came back; one not settled yet has simply failed.
    func returned(_ id: PayoutID, reason: String, provider: String, at time: Timestamp, on sql: any SQLDatabase) async throws -> Bool {
        if try await move(id, provider: provider, from: [.settled], to: .returned, reference: nil, reason: reason, at: time, on: sql) { return true }
        return try await fail(id, reason: reason, provider: provider, at: time, on: sql)
    }

    private func move(_ id: PayoutID, provider: String, from: [PayoutStatus], to: PayoutStatus, reference: String?, reason: String?,
                      at time: Timestamp, on sql: any SQLDatabase) async throws -> Bool {
        let payouts = PayoutRepository(sql)
        guard let payout = try await payouts.find(id), payout.provider == provider else {
            throw WebhookPayloadError("no \(provider) payout \(id)")
        }
        guard try await payouts.transition(id, from: from, to: to, reference: reference, reason: reason, at: time) else {
            // A repeat changes nothing; a contradiction (paid after it failed, failed after it was
            // paid) is dead-lettered for an admin rather than guessed at.
            let repeated = payout.status == to || (to == .failed && payout.status == .returned) || (to == .settled && payout.status == .returned)
            guard repeated else { throw WebhookPayloadError("payout \(id) is \(payout.status.rawValue); it cannot become \(to.rawValue)") }
            return false
        }
        let organizer = payout.organizerID
        let (kind, debit, credit): (TransferKind, LedgerAccount, LedgerAccount) = switch to {
        case .settled: (.payoutSettled, .payoutsInTransit(organizer), .paidOut(organizer))
        case .returned: (.payoutReturned, .paidOut(organizer), .organizerAvailable(organizer))
        default: (.payoutFailed, .payoutsInTransit(organizer), .organizerAvailable(organizer))
        }
        try await LedgerRepository(sql).post([
            Transfer(id: "\(kind.rawValue.replacingOccurrences(of: "_", with: "-")):\(id)", kind: kind, amount: payout.amount, debit: debit,
                     credit: credit, organizerID: organizer, orderID: nil, payoutID: id, bookedAt: time),
        ])
        let after = try await payouts.find(id)
        var changes: [String: (from: (any Sendable)?, to: (any Sendable)?)] = ["status": (payout.status.rawValue, to.rawValue)]
        if let reason { changes["failure_reason"] = (nil, reason) }
        try await AuditTrail.record("payout.\(to.rawValue)", organizer: organizer, subject: id.rawValue, changes: .fields(changes),
                                    data: after.map(PayoutBody.init), at: time, on: sql)
        return true
    }

    /// A provider's settlement event, in the inbox's transaction.
    package func apply(_ command: PaymentCommand, provider: String, at time: Timestamp, on sql: any SQLDatabase) async throws -> Bool {
        func id(_ text: String) throws -> PayoutID {
            guard let id = PayoutID(text) else { throw WebhookPayloadError("'\(text)' is not a payout id") }
            return id
        }
        switch command {
        case let .payoutSettled(payout, reference): return try await settle(try id(payout), reference: reference, provider: provider, at: time, on: sql)
        case let .payoutFailed(payout, reason): return try await fail(try id(payout), reason: reason, provider: provider, at: time, on: sql)
        case let .payoutReturned(payout, reason): return try await returned(try id(payout), reason: reason, provider: provider, at: time, on: sql)
        case let .payoutBatchFailed(batch, reason):
            var moved = false
            for payout in try await PayoutRepository(sql).inBatch(batch, provider: provider) where [.sending, .sent].contains(payout.status) {
                moved = try await fail(payout.id, reason: reason, provider: provider, at: time, on: sql) || moved
            }
            return moved
        default: return false
        }
    }
}
