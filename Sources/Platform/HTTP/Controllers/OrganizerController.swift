import Hummingbird
import PluginKit

/// Organizers and their API keys (admins), and an organizer's own mail settings.
struct OrganizerController {
    let catalog: Catalog
    let payoutMethods: PayoutMethods
    let maxBodyBytes: Int

    func register(_ routes: APIRoutes) {
        routes.admin.on(.post, "organizers", use: create)
        routes.admin.on(.get, "organizers", use: list)
        routes.admin.on(.post, "organizers/{id}/api-keys", use: issueKey)
        routes.authenticated.on(.patch, "organizers/{id}", use: update)
    }

    @Sendable func create(_ request: Request, context: AdminContext) async throws -> Response {
        let fields = try await RequestFields.read(request, limit: maxBodyBytes)
        let name = fields.required(fields.string("name"), "name", placeholder: "")
        let slug = fields.required(fields.string("slug"), "slug", placeholder: "")
        let email = fields.required(fields.string("email"), "email", placeholder: "")
        let fee = fields.optional(fields.integer("fee_bps"), "fee_bps")
        if let fee, !(0...10_000).contains(fee) { fields.fail("fee_bps", "must be between 0 and 10000 basis points") }
        let senderName = fields.optional(fields.string("sender_name"), "sender_name")
        let replyTo = fields.optional(fields.string("reply_to"), "reply_to")
        try fields.finish()
        let (organizer, key) = try await catalog.createOrganizer(name: name, slug: slug, email: email, feeBasisPoints: fee.map { Int($0) },
                                                                 mailSenderName: senderName, mailReplyTo: replyTo)
        return try JSONCoding.response(CreatedOrganizerBody(organizer: OrganizerBody(organizer), apiKey: APIKeyBody(key)), status: .created)
    }

    @Sendable func list(_ request: Request, context: AdminContext) async throws -> Response {
        let page = try Page(request)
        let organizers = try await catalog.organizers(after: try page.cursor(OrganizerID.self), limit: page.limit)
        return try JSONCoding.response(page.body(organizers.map(OrganizerBody.init), lastID: organizers.last?.id))
    }

    /// The mail settings and the payout method: an admin for any organizer, an organizer for itself
    /// (another's is 404). The payout hold: an admin only.
    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.pathID(OrganizerID.self)
        switch context.principal {
        case .admin?: break
        case let .organizer(own)?: if own != id { throw PlatformError.notFound("organizer") }
        default: throw Problem.forbidden("this route needs an organizer key")
        }
        let fields = try await RequestFields.read(request, limit: maxBodyBytes)
        let senderName = fields.string("sender_name")
        let replyTo = fields.string("reply_to")
        let payoutHold = Self.payoutHold(fields)
        var payout: (provider: String, account: String)?
        if let present = fields.object("payout") {
            if let method = present {
                let provider = method.required(method.string("provider"), "provider", placeholder: "")
                let account = method.required(method.string("account"), "account", placeholder: "")
                if !provider.isEmpty, !account.isEmpty {
                    do {
                        payout = try payoutMethods.validated(provider: provider, account: account)
                    } catch {
                        for problem in error.errors { fields.fail(problem.field, problem.detail) }
                    }
                }
            } else {
                fields.fail("payout", "cannot be removed, only replaced")
            }
        }
        try fields.finish()
        if payoutHold != nil, context.principal != .admin { throw Problem.forbidden("only an admin sets an organizer's payout hold") }
        let (methods, actor, method) = (payoutMethods, context.principal == .admin ? "admin" : "organizer", payout)
        let organizer = try await catalog.updateOrganizer(id, senderName: senderName, replyTo: replyTo, payoutHold: payoutHold) { organizer, sql in
            if let method { try await methods.set(organizer, provider: method.provider, account: method.account, by: actor, on: sql) }
        }
        return try JSONCoding.response(OrganizerBody(organizer))
    }

    /// `payout_hold`: `{from, days}`, or null to use the platform's again; nil when absent.
    static func payoutHold(_ fields: RequestFields) -> PayoutHold?? {
        guard let present = fields.object("payout_hold") else { return nil }
        guard let hold = present else { return .some(nil) }
        let from = hold.required(hold.choice("from", PayoutHold.From.self), "from", placeholder: .eventEnd)
        let days = hold.required(hold.integer("days"), "days", placeholder: 0)
        if !(0...Int64(PayoutHold.maxDays)).contains(days) { hold.fail("days", "must be a whole number of days from 0 to \(PayoutHold.maxDays)") }
        return .some(PayoutHold(from: from, days: Int(clamping: days)))
    }

    @Sendable func issueKey(_ request: Request, context: AdminContext) async throws -> Response {
        let id = try context.pathID(OrganizerID.self)
        let fields = try await RequestFields.readIfPresent(request, limit: maxBodyBytes)
        let label = fields.optional(fields.string("label"), "label") ?? "api"
        if !TextRules.isPresent(label, max: 100) { fields.fail("label", "must be 1 to 100 characters") }
        try fields.finish()
        let key = try await catalog.issueKey(organizer: id, label: label)
        return try JSONCoding.response(APIKeyBody(key), status: .created)
    }
}
