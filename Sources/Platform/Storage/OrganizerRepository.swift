import PluginKit
import SQLKit

package struct OrganizerRepository: Sendable {
    let sql: any SQLDatabase
    package init(_ sql: any SQLDatabase) { self.sql = sql }

    struct Row: Decodable {
        let id: String, name: String, slug: String, email: String, feeBps: Int?, mailSenderName: String?, mailReplyTo: String?
        let payoutHoldFrom: String?, payoutHoldDays: Int?, createdAt: Int64, suspendedAt: Int64?

        func organizer() throws -> Organizer {
            let hold = try payoutHoldFrom.map { PayoutHold(from: try StoredValue.enum($0), days: payoutHoldDays ?? PayoutHold.standard.days) }
            return Organizer(id: try StoredValue.id(id), name: name, slug: slug, email: email, feeBasisPoints: feeBps,
                             mailSenderName: mailSenderName, mailReplyTo: mailReplyTo, payoutHold: hold,
                             createdAt: Timestamp(milliseconds: createdAt), suspendedAt: suspendedAt.map(Timestamp.init(milliseconds:)))
        }
    }

    /// Inserts unless the slug is taken; false when it is.
    package func insert(_ organizer: Organizer) async throws -> Bool {
        let row = try await sql.raw("""
            INSERT INTO organizers (id, name, slug, email, fee_bps, mail_sender_name, mail_reply_to, created_at)
            VALUES (\(bind: organizer.id.rawValue), \(bind: organizer.name), \(bind: organizer.slug), \(bind: organizer.email),
                    \(bind: organizer.feeBasisPoints), \(bind: organizer.mailSenderName), \(bind: organizer.mailReplyTo),
                    \(bind: organizer.createdAt.milliseconds))
            ON CONFLICT (slug) DO NOTHING RETURNING id
            """).first()
        return row != nil
    }

    /// Sets (or, with nil, clears) the organizer's own payout hold.
    func updatePayoutHold(_ organizer: OrganizerID, to hold: PayoutHold?) async throws {
        try await sql.raw("""
            UPDATE organizers SET payout_hold_from = \(bind: hold?.from.rawValue), payout_hold_days = \(bind: hold?.days)
            WHERE id = \(bind: organizer.rawValue)
            """).run()
    }

    /// The organizers among `ids` that are suspended.
    package func suspended(among ids: [OrganizerID]) async throws -> Set<OrganizerID> {
        guard !ids.isEmpty else { return [] }
        struct Row: Decodable { let id: String }
        return Set(try await sql.raw("SELECT id FROM organizers WHERE suspended_at IS NOT NULL AND id IN (\(binds: ids.map(\.rawValue)))")
            .all(decoding: Row.self).map { try StoredValue.id($0.id) })
    }

    /// Suspends the organizer at `time`, or (nil) reinstates it.
    func setSuspended(_ organizer: OrganizerID, at time: Timestamp?) async throws {
        try await sql.raw("UPDATE organizers SET suspended_at = \(bind: time?.milliseconds) WHERE id = \(bind: organizer.rawValue)").run()
        CatalogChanges.note()
    }

    /// Sets (or, with nil, clears) the organizer's own fee; orders placed from now on are booked at it.
    func updateFee(_ organizer: OrganizerID, to basisPoints: Int?) async throws {
        try await sql.raw("UPDATE organizers SET fee_bps = \(bind: basisPoints) WHERE id = \(bind: organizer.rawValue)").run()
    }

    func updateMail(_ organizer: Organizer) async throws {
        try await sql.raw("""
            UPDATE organizers SET mail_sender_name = \(bind: organizer.mailSenderName), mail_reply_to = \(bind: organizer.mailReplyTo)
            WHERE id = \(bind: organizer.id.rawValue)
            """).run()
    }

    package func find(_ id: OrganizerID) async throws -> Organizer? {
        try await sql.raw("SELECT * FROM organizers WHERE id = \(bind: id.rawValue)")
            .first(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns)?.organizer()
    }

    /// A tenant an admin may address: never the platform's own seller row.
    package func findTenant(_ id: OrganizerID) async throws -> Organizer? {
        id == Organizer.platformID ? nil : try await find(id)
    }

    /// The organizers among `ids` that exist, by id.
    package func find(_ ids: [OrganizerID]) async throws -> [OrganizerID: Organizer] {
        guard !ids.isEmpty else { return [:] }
        let found = try await sql.raw("SELECT * FROM organizers WHERE id IN (\(binds: ids.map(\.rawValue)))")
            .all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns).map { try $0.organizer() }
        return Dictionary(uniqueKeysWithValues: found.map { ($0.id, $0) })
    }

    package func find(slug: String) async throws -> Organizer? {
        try await sql.raw("SELECT * FROM organizers WHERE slug = \(bind: slug)")
            .first(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns)?.organizer()
    }

    /// A page in ID (creation) order, starting after the given ID.
    package func list(after: OrganizerID?, limit: Int) async throws -> [Organizer] {
        try await sql.raw("""
            SELECT * FROM organizers WHERE id > \(bind: after?.rawValue ?? "") AND id <> \(bind: Organizer.platformID.rawValue)
            ORDER BY id LIMIT \(bind: limit)
            """).all(decoding: Row.self, keyDecodingStrategy: .snakeCaseColumns).map { try $0.organizer() }
    }
}
