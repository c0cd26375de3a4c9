import PluginKit
import SQLKit

/// Where organizers' payouts go. Setting the first method takes effect at once; replacing one is
/// recorded, told to the organizer's email, and the next payout to the new method waits 24 hours
/// or until an admin approves the change.
package struct PayoutMethods: Sendable {
    let database: any Database
    let clock: any WallClock
    let providers: PaymentProviders
    /// The platform's sending address (MAIL_FROM).
    let mailFrom: String

    package init(database: any Database, clock: any WallClock, providers: PaymentProviders, mailFrom: String) {
        self.database = database
        self.clock = clock
        self.providers = providers
        self.mailFrom = mailFrom
    }

    /// The provider's id and the account as it will be used.
    /// - Throws: `ValidationFailure` on `payout.provider` (not an enabled payout provider) or `payout.account`.
    package func validated(provider: String, account: String) throws(ValidationFailure) -> (provider: String, account: String) {
        guard let payouts = providers.payoutProvider(provider) else {
            let known = providers.payoutProviders.map(\.id)
            throw ValidationFailure(field: "payout.provider", known.isEmpty ? "no payout provider is enabled"
                                    : "must be one of \(known.joined(separator: ", "))")
        }
        do {
            return (provider, try payouts.validate(account: account))
        } catch let error as PayoutAccountInvalid {
            throw ValidationFailure(field: "payout.account", error.description)
        } catch {
            throw ValidationFailure(field: "payout.account", "is not an account \(provider) pays")
        }
    }

    /// Sets the organizer's method in the caller's transaction; a replacement is recorded and notified.
    /// `actor` is who asked ("admin", "organizer").
    package func set(_ organizer: Organizer, provider: String, account: String, by actor: String, on sql: any SQLDatabase) async throws {
        let now = clock.now()
        let methods = PayoutMethodRepository(sql)
        let previous = try await methods.find(organizer.id)
        if let previous, previous.provider == provider, previous.account == account { return }
        try await methods.set(organizer.id, provider: provider, account: account, replacing: previous != nil, at: now)
        try await AuditTrail.record("organizer.payout_method_changed", organizer: organizer.id, subject: organizer.id.rawValue, changes: .fields([
            "payout_provider": (previous?.provider, provider), "payout_account": (previous?.account, account),
        ]), at: now, on: sql)
        guard let previous else { return }
        try await methods.recordChange(organizer.id, from: previous, to: provider, account: account, by: actor, at: now)
        let model: [String: Any] = [
            "organizer": ["name": organizer.name],
            "method": ["provider": provider, "account": account, "changed": LocalTime.text(now, timezone: "UTC")],
            "previous": ["provider": previous.provider, "account": previous.account],
        ]
        let content = try MailContent(sender: MailAddress(email: mailFrom, name: "Payouts"), replyTo: nil, modelObject: model)
        try await Outbox.enqueue(Notice(kind: .payoutMethodChanged, organizer: organizer.id, recipient: organizer.email, content: content,
                                        idempotencyKey: "payout-method-changed-\(organizer.id)-\(now.milliseconds)"), at: now, on: sql)
    }

    /// An admin trusts a replaced method before its 24 hours are over.
    /// - Throws: `PlatformError.notFound` when the organizer has no replaced method awaiting approval.
    package func approve(_ organizer: OrganizerID) async throws {
        let now = clock.now()
        try await database.transaction { sql in
            guard try await PayoutMethodRepository(sql).approve(organizer, at: now) else {
                throw PlatformError.notFound("payout method change awaiting approval")
            }
            try await AuditTrail.record("organizer.payout_method_approved", organizer: organizer, subject: organizer.rawValue,
                                        changes: .fields(["approved_at": (nil, now.rfc3339)]), at: now, on: sql)
        }
    }
}
