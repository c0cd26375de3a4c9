import Hummingbird
import PluginKit

/// Payouts: an organizer's own, with the statement entries each covers; runs and approvals for admins.
struct PayoutController {
    let payouts: PayoutRun
    let methods: PayoutMethods
    let resolution: PayoutResolution
    let database: any Database
    let statements: Statements
    let maxBodyBytes: Int

    func register(organizer: RouteRegistrar<OrganizerContext>, admin: RouteRegistrar<AdminContext>) {
        organizer.on(.get, "payouts", use: list)
        organizer.on(.get, "payouts/{id}", use: show)
        admin.on(.post, "admin/payouts", use: run)
        admin.on(.get, "admin/payouts", use: listAll)
        admin.on(.post, "admin/organizers/{id}/payout-method/approval", use: approve)
        admin.on(.post, "admin/payouts/{id}/resolution", use: resolve)
    }

    /// `{outcome: settled|failed, reason}`: an admin's decision on a payout never confirmed.
    @Sendable func resolve(_ request: Request, context: AdminContext) async throws -> Response {
        let id = try context.pathID(PayoutID.self)
        let fields = try await RequestFields.read(request, limit: maxBodyBytes)
        let outcome = fields.required(fields.choice("outcome", PayoutResolution.Outcome.self), "outcome", placeholder: .failed)
        let reason = fields.required(fields.string("reason"), "reason", placeholder: "", where: { TextRules.isPresent($0, max: 500) },
                                     "must be 1 to 500 characters")
        try fields.finish()
        return try JSONCoding.response(PayoutBody(try await resolution.resolve(id, as: outcome, reason: reason)))
    }

    /// A payout with its remittance advice: the statement entries up to `covers_until` that it pays.
    struct PayoutDetailBody: Encodable {
        let payout: PayoutBody
        let entries: [StatementEntryBody]

        enum CodingKeys: String, CodingKey { case entries }

        func encode(to encoder: any Encoder) throws {
            try payout.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(entries, forKey: .entries)
        }
    }

    @Sendable func list(_ request: Request, context: OrganizerContext) async throws -> Response {
        try await page(request, organizer: context.organizer)
    }

    /// A page of payouts, newest first: one organizer's, or everyone's.
    func page(_ request: Request, organizer: OrganizerID?) async throws -> Response {
        let page = try Page(request)
        let found = try await database.read { sql in
            try await PayoutRepository(sql).list(organizer: organizer, before: try page.cursor(PayoutID.self), limit: page.limit)
        }
        return try JSONCoding.response(page.body(found.map(PayoutBody.init), lastID: found.last?.id))
    }

    /// One payout with its remittance advice: the entries booked since the organizer's payout before it.
    @Sendable func show(_ request: Request, context: OrganizerContext) async throws -> Response {
        let id = try context.pathID(PayoutID.self)
        guard let payout = try await database.read({ sql in try await PayoutRepository(sql).find(id) }),
              payout.organizerID == context.organizer else { throw PlatformError.notFound("payout") }
        let entries = try await statements.covered(by: payout)
        return try JSONCoding.response(PayoutDetailBody(payout: PayoutBody(payout), entries: entries.map(StatementEntryBody.init)))
    }

    @Sendable func listAll(_ request: Request, context: AdminContext) async throws -> Response {
        let organizer = try request.uri.queryParameters["organizer_id"].map { text in
            guard let id = OrganizerID(String(text)) else { throw ValidationFailure(field: "organizer_id", "is not an organizer id") }
            return id
        }
        return try await page(request, organizer: organizer)
    }

    /// `{currency?, organizer_id?, dry_run?}`: pays every organizer due, or answers what it would pay.
    @Sendable func run(_ request: Request, context: AdminContext) async throws -> Response {
        let fields = try await RequestFields.readIfPresent(request, limit: maxBodyBytes)
        let currency = fields.optional(fields.currency("currency"), "currency")
        let organizer = fields.optional(fields.string("organizer_id"), "organizer_id")
        let dryRun = fields.optional(fields.boolean("dry_run"), "dry_run") ?? false
        let organizerID = organizer.flatMap { OrganizerID($0) }
        if organizer != nil, organizerID == nil { fields.fail("organizer_id", "is not an organizer id") }
        try fields.finish()
        let report = try await payouts.run(PayoutRunRequest(currency: currency?.code, organizer: organizerID, dryRun: dryRun))
        return try JSONCoding.response(PayoutRunBody(report, dryRun: dryRun), status: dryRun ? .ok : .created)
    }

    @Sendable func approve(_ request: Request, context: AdminContext) async throws -> Response {
        try await methods.approve(try context.pathID(OrganizerID.self))
        return Response(status: .noContent)
    }
}

struct PayoutRunBody: Encodable {
    struct Line: Encodable {
        let payoutId: String?, organizerId: String, currency: String, amount: Int64, provider: String, status: String, error: String?
    }
    struct Skipped: Encodable { let organizerId: String, currency: String, amount: Int64, reason: String }
    let dryRun: Bool
    let payouts: [Line]
    let skipped: [Skipped]

    init(_ report: PayoutRunReport, dryRun: Bool) {
        self.dryRun = dryRun
        payouts = report.payouts.map {
            Line(payoutId: $0.payoutID?.rawValue, organizerId: $0.organizerID.rawValue, currency: $0.amount.currency.code,
                 amount: $0.amount.minorUnits, provider: $0.provider, status: $0.status, error: $0.error)
        }
        skipped = report.skipped.map {
            Skipped(organizerId: $0.organizerID.rawValue, currency: $0.amount.currency.code, amount: $0.amount.minorUnits, reason: $0.reason)
        }
    }
}

struct StatementEntryBody: Encodable {
    let id: String, type: String, bookedAt: Timestamp, currency: String, gross: Int64, fee: Int64, net: Int64, moved: Int64
    let orderId: String?, eventId: String?, eventTitle: String?, eventStartsAt: Timestamp?, eventTimezone: String?, payoutId: String?

    init(_ entry: StatementEntry) {
        id = entry.id
        type = entry.type.rawValue
        bookedAt = entry.bookedAt
        currency = entry.currency
        gross = entry.gross
        fee = entry.fee
        net = entry.net
        moved = entry.moved
        orderId = entry.orderID?.rawValue
        eventId = entry.eventID
        eventTitle = entry.eventTitle
        eventStartsAt = entry.eventStartsAt
        eventTimezone = entry.eventTimezone
        payoutId = entry.payoutID?.rawValue
    }

    static let csvHeader = ["entry_id", "type", "booked_at", "currency", "gross", "fee", "net", "moved", "order_id", "event_id", "event_title",
                            "event_starts_at", "payout_id"]

    var csvFields: [String] {
        [id, type, bookedAt.rfc3339, currency, String(gross), String(fee), String(net), String(moved), orderId ?? "", eventId ?? "",
         eventTitle ?? "", eventStartsAt.map { LocalTime.rfc3339($0, timezone: eventTimezone ?? "UTC") } ?? "", payoutId ?? ""]
    }
}
