import PluginKit
import SQLKit

/// Payouts: written 'sending' with the ledger move, then leased to one sender at a time, then
/// moved on once by the provider's answer or settlement event.
package struct PayoutRepository: Sendable {
    let sql: any SQLDatabase
    package init(_ sql: any SQLDatabase) { self.sql = sql }

    static let columns: SQLQueryString = """
        id, organizer_id, currency, amount, provider, account, status, provider_reference, failure_reason, attempts, last_error, \
        covers_until, created_at, sent_at, settled_at, batch_id
        """

    struct Row: Decodable {
        let id: String, organizerId: String, currency: String, amount: Int64, provider: String, account: String, status: String
        let providerReference: String?, failureReason: String?, attempts: Int, lastError: String?
        let coversUntil: Int64, createdAt: Int64, sentAt: Int64?, settledAt: Int64?, batchId: String?

        func payout() throws -> Payout {
            Payout(id: try StoredValue.id(id), organizerID: try StoredValue.id(organizerId),
                   amount: Money(minorUnits: amount, currency: try StoredValue.currency(currency)), provider: provider, account: account,
                   status: try StoredValue.enum(status), providerReference: providerReference, failureReason: failureReason,
                   attempts: attempts, lastError: lastError, coversUntil: Timestamp(milliseconds: coversUntil),
                   createdAt: Timestamp(milliseconds: createdAt), sentAt: sentAt.map(Timestamp.init(milliseconds:)),
                   settledAt: settledAt.map(Timestamp.init(milliseconds:)), batchID: batchId)
        }
    }

    func all(_ query: SQLQueryString) async throws -> [Payout] {
        try await sql.raw(query).all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns).map { try $0.payout() }
    }

    /// Writes payouts as 'sending', leased to `owner` (a run) until `leaseUntil`, in one statement.
    func insert(_ payouts: [Payout], owner: String, leaseUntil: Timestamp) async throws {
        guard !payouts.isEmpty else { return }
        var query: SQLQueryString = """
            INSERT INTO payouts (id, organizer_id, currency, amount, provider, account, status, attempts, lease_until, lease_owner,
                                 covers_until, created_at)
            VALUES
            """
        for (index, payout) in payouts.enumerated() {
            query += index == 0 ? " " : ", "
            query += """
                (\(bind: payout.id.rawValue), \(bind: payout.organizerID.rawValue), \(bind: payout.amount.currency.code), \
                \(bind: payout.amount.minorUnits), \(bind: payout.provider), \(bind: payout.account), 'sending', 1, \(bind: leaseUntil.milliseconds), \
                \(bind: owner), \(bind: payout.coversUntil.milliseconds), \(bind: payout.createdAt.milliseconds))
                """
        }
        try await sql.raw(query).run()
    }

    /// Leases 'sending' payouts nobody holds (a run that died, or a provider that failed) to
    /// `owner`, if they were written after `since`. Each row is taken by one run: the update
    /// re-checks the lease under the row's lock.
    func claimStale(now: Timestamp, since: Timestamp, owner: String, leaseUntil: Timestamp, currency: String?, organizer: OrganizerID?,
                    limit: Int) async throws -> [Payout] {
        try await all("""
            UPDATE payouts SET lease_until = \(bind: leaseUntil.milliseconds), lease_owner = \(bind: owner), attempts = attempts + 1
            WHERE id IN (SELECT id FROM payouts WHERE status = 'sending' AND lease_until <= \(bind: now.milliseconds)
                         AND created_at > \(bind: since.milliseconds)\(Self.filter(currency, organizer))
                         ORDER BY created_at, id LIMIT \(bind: limit))
              AND status = 'sending' AND lease_until <= \(bind: now.milliseconds)
            RETURNING \(Self.columns)
            """)
    }

    /// 'sending' payouts written before `before`: too old to send again under the same
    /// idempotency key, so left to an admin.
    func stuck(before: Timestamp, currency: String?, organizer: OrganizerID?) async throws -> [Payout] {
        try await all("""
            SELECT \(Self.columns) FROM payouts WHERE status = 'sending' AND created_at <= \(bind: before.milliseconds)\(Self.filter(currency, organizer))
            ORDER BY created_at, id
            """)
    }

    static func filter(_ currency: String?, _ organizer: OrganizerID?) -> SQLQueryString {
        var filter: SQLQueryString = ""
        if let currency { filter += " AND currency = \(bind: currency)" }
        if let organizer { filter += " AND organizer_id = \(bind: organizer.rawValue)" }
        return filter
    }

    /// Extends `owner`'s lease on these payouts just before it calls the provider; answers the
    /// ones it still holds (another run may have taken over one whose lease ran out).
    func renew(_ ids: [PayoutID], owner: String, until: Timestamp) async throws -> Set<PayoutID> {
        guard !ids.isEmpty else { return [] }
        struct Row: Decodable { let id: String }
        return Set(try await sql.raw("""
            UPDATE payouts SET lease_until = \(bind: until.milliseconds)
            WHERE id IN (\(binds: ids.map(\.rawValue))) AND status = 'sending' AND lease_owner = \(bind: owner) RETURNING id
            """).all(decoding: Row.self).map { try StoredValue.id($0.id) })
    }

    /// Puts the payouts without a batch into `batch`; answers every payout's batch.
    func assignBatch(_ ids: [PayoutID], batch: String) async throws -> [PayoutID: String] {
        guard !ids.isEmpty else { return [:] }
        struct Row: Decodable { let id: String, batchId: String? }
        try await sql.raw("""
            UPDATE payouts SET batch_id = \(bind: batch) WHERE id IN (\(binds: ids.map(\.rawValue))) AND batch_id IS NULL
            """).run()
        let rows = try await sql.raw("SELECT id, batch_id FROM payouts WHERE id IN (\(binds: ids.map(\.rawValue)))")
            .all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns)
        return Dictionary(uniqueKeysWithValues: try rows.map { (try StoredValue.id($0.id), $0.batchId ?? batch) })
    }

    /// Records the provider's acceptance of many payouts in one statement; answers those it moved
    /// to 'sent'. One an event moved on first keeps its status, and gets the reference.
    func markSent(_ sent: [(id: PayoutID, reference: String)], at time: Timestamp) async throws -> Set<PayoutID> {
        guard !sent.isEmpty else { return [] }
        var reference: SQLQueryString = "CASE id"
        for (id, text) in sent { reference += " WHEN \(bind: id.rawValue) THEN \(bind: text)" }
        let ids = sent.map(\.id.rawValue)
        struct Row: Decodable { let id: String }
        let moved = try await sql.raw("""
            UPDATE payouts SET status = 'sent', provider_reference = \(reference) END, sent_at = \(bind: time.milliseconds), lease_until = NULL
            WHERE id IN (\(binds: ids)) AND status = 'sending' RETURNING id
            """).all(decoding: Row.self)
        try await sql.raw("""
            UPDATE payouts SET provider_reference = \(reference) END WHERE id IN (\(binds: ids)) AND provider_reference IS NULL
            """).run()
        return Set(try moved.map { try StoredValue.id($0.id) })
    }

    /// The payouts' statuses now.
    func statuses(_ ids: [PayoutID]) async throws -> [PayoutID: PayoutStatus] {
        guard !ids.isEmpty else { return [:] }
        struct Row: Decodable { let id: String, status: String }
        let rows = try await sql.raw("SELECT id, status FROM payouts WHERE id IN (\(binds: ids.map(\.rawValue)))").all(decoding: Row.self)
        return Dictionary(uniqueKeysWithValues: try rows.map { (try StoredValue.id($0.id), try StoredValue.enum($0.status)) })
    }

    /// Moves a payout from one of `from` to `to`; false when it was not in any of them.
    func transition(_ id: PayoutID, from: [PayoutStatus], to: PayoutStatus, reference: String? = nil, reason: String? = nil,
                    at time: Timestamp) async throws -> Bool {
        let stamp: SQLQueryString = switch to {
        case .settled: ", settled_at = \(bind: time.milliseconds)"
        case .failed, .returned: ", failed_at = \(bind: time.milliseconds)"
        case .sending, .sent: ""
        }
        return try await sql.raw("""
            UPDATE payouts SET status = \(bind: to.rawValue), lease_until = NULL,
                provider_reference = COALESCE(\(bind: reference), provider_reference), failure_reason = COALESCE(\(bind: reason), failure_reason)\(stamp)
            WHERE id = \(bind: id.rawValue) AND status IN (\(binds: from.map(\.rawValue))) RETURNING id
            """).first() != nil
    }

    /// Keeps a payout 'sending' after a failed provider call, to be tried again after `retryAt`,
    /// unless another run holds it now.
    func recordError(_ id: PayoutID, owner: String, error: String, retryAt: Timestamp) async throws {
        try await sql.raw("""
            UPDATE payouts SET last_error = \(bind: String(error.prefix(500))), lease_until = \(bind: retryAt.milliseconds)
            WHERE id = \(bind: id.rawValue) AND status = 'sending' AND lease_owner = \(bind: owner)
            """).run()
    }

    package func find(_ id: PayoutID) async throws -> Payout? {
        try await all("SELECT \(Self.columns) FROM payouts WHERE id = \(bind: id.rawValue)").first
    }

    /// Newest first, a page after `before`; one organizer's, or everyone's.
    package func list(organizer: OrganizerID?, before: PayoutID?, limit: Int) async throws -> [Payout] {
        var filter: SQLQueryString = "WHERE 1 = 1"
        if let before { filter += " AND id < \(bind: before.rawValue)" }
        if let organizer { filter += " AND organizer_id = \(bind: organizer.rawValue)" }
        return try await all("SELECT \(Self.columns) FROM payouts \(filter) ORDER BY id DESC LIMIT \(bind: limit)")
    }
}

/// Organizers' payout methods, and the record of each replacement.
package struct PayoutMethodRepository: Sendable {
    let sql: any SQLDatabase
    package init(_ sql: any SQLDatabase) { self.sql = sql }

    struct Row: Decodable {
        let organizerId: String, provider: String, account: String, replacedAt: Int64?, approvedAt: Int64?
        func method() -> PayoutMethod {
            PayoutMethod(provider: provider, account: account, replacedAt: replacedAt.map(Timestamp.init(milliseconds:)),
                         approvedAt: approvedAt.map(Timestamp.init(milliseconds:)))
        }
    }

    package func find(_ organizer: OrganizerID) async throws -> PayoutMethod? {
        try await sql.raw("SELECT * FROM payout_methods WHERE organizer_id = \(bind: organizer.rawValue)")
            .first(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns)?.method()
    }

    /// Every organizer's method among `organizers`.
    func find(_ organizers: [OrganizerID]) async throws -> [OrganizerID: PayoutMethod] {
        guard !organizers.isEmpty else { return [:] }
        let rows = try await sql.raw("SELECT * FROM payout_methods WHERE organizer_id IN (\(binds: organizers.map(\.rawValue)))")
            .all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns)
        return Dictionary(uniqueKeysWithValues: try rows.map { (try StoredValue.id($0.organizerId), $0.method()) })
    }

    /// Sets the organizer's method; a replacement of another method is stamped `replacedAt`.
    func set(_ organizer: OrganizerID, provider: String, account: String, replacing: Bool, at time: Timestamp) async throws {
        let replaced: Int64? = replacing ? time.milliseconds : nil
        try await sql.raw("""
            INSERT INTO payout_methods (organizer_id, provider, account, replaced_at, approved_at, updated_at)
            VALUES (\(bind: organizer.rawValue), \(bind: provider), \(bind: account), \(bind: replaced), NULL, \(bind: time.milliseconds))
            ON CONFLICT (organizer_id) DO UPDATE SET provider = excluded.provider, account = excluded.account,
                replaced_at = excluded.replaced_at, approved_at = NULL, updated_at = excluded.updated_at
            """).run()
    }

    func recordChange(_ organizer: OrganizerID, from previous: PayoutMethod, to provider: String, account: String, by actor: String,
                      at time: Timestamp) async throws {
        try await sql.raw("""
            INSERT INTO payout_method_changes (id, organizer_id, previous_provider, previous_account, provider, account, changed_by, changed_at)
            VALUES (\(bind: PayoutMethodChangeID.generate(at: time).rawValue), \(bind: organizer.rawValue), \(bind: previous.provider), \
            \(bind: previous.account), \(bind: provider), \(bind: account), \(bind: actor), \(bind: time.milliseconds))
            """).run()
    }

    /// An admin's approval of a replaced method; false when there is nothing to approve.
    func approve(_ organizer: OrganizerID, at time: Timestamp) async throws -> Bool {
        try await sql.raw("""
            UPDATE payout_methods SET approved_at = \(bind: time.milliseconds)
            WHERE organizer_id = \(bind: organizer.rawValue) AND replaced_at IS NOT NULL AND approved_at IS NULL RETURNING organizer_id
            """).first() != nil
    }
}

extension PayoutRepository {
    /// The payouts of one provider batch, oldest first.
    func inBatch(_ batch: String, provider: String) async throws -> [Payout] {
        try await all("""
            SELECT \(Self.columns) FROM payouts WHERE batch_id = \(bind: batch) AND provider = \(bind: provider) ORDER BY id
            """)
    }
}
