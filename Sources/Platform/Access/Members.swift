import Foundation
import HummingbirdBcrypt
import NIOPosix
import PluginKit

/// The people who sign in to the pages with an email address and a password (bcrypt, from
/// hummingbird-auth): organizer owners, managers and door staff, and platform admins. Owners invite
/// members by a single-use emailed link; anyone may ask for a password reset link. Sessions are
/// random tokens stored as SHA-256 and end after 12 hours, on sign-out, or everywhere at once.
package struct Members: Sendable {
    static let sessionLifetimeMinutes: Int64 = 12 * 60
    package static let invitationLifetimeMinutes: Int64 = 7 * 24 * 60
    package static let resetLifetimeMinutes: Int64 = 60
    /// Reset links one address is sent within 15 minutes; further requests are answered alike and send nothing.
    static let resetsPerWindow = 3

    package let database: any Database
    package let clock: any WallClock
    package let baseURL: String
    package let mailFrom: String
    let hashCost: Int

    package init(database: any Database, clock: any WallClock, baseURL: String, mailFrom: String, hashCost: Int) {
        self.database = database
        self.clock = clock
        self.baseURL = baseURL
        self.mailFrom = mailFrom
        self.hashCost = hashCost
    }

    /// A signed-in member; `token` only when the session was just opened.
    package struct Session: Sendable {
        package let token: String?
        package let member: Member
        package let expiresAt: Timestamp
    }

    // MARK: Passwords

    /// bcrypt is slow on purpose: it runs on NIO's thread pool, never on the cooperative threads.
    func hash(_ password: String) async throws -> String {
        let cost = UInt8(hashCost)
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// The hash of a password that keeps the rules.
    /// - Throws: `ValidationFailure` on `password` otherwise.
    func checkedHash(_ password: String) async throws -> String {
        var check = Validator()
        Member.checkPassword(password, into: &check)
        try check.throwIfFailed()
        return try await hash(password)
    }

    /// Compared against when no member has the address, so that a wrong address takes as long as a wrong password.
    private static let decoyHash = Bcrypt.hash("decoy password for unknown addresses", cost: 4)

    // MARK: Members

    /// Adds a member with a password (the first admin from the command line, the demo's owner).
    /// - Throws: `ValidationFailure` for a bad email, password or role, or an address that is taken.
    package func create(email: String, password: String, role: MemberRole, organizer: OrganizerID?) async throws -> Member {
        var check = Validator()
        check.check(TextRules.isEmail(email), "email", "must be an email address")
        Member.checkPassword(password, into: &check)
        check.check((role == .admin) == (organizer == nil), "role", role == .admin ? "admin belongs to no organizer" : "needs an organizer")
        try check.throwIfFailed()
        let now = clock.now()
        let member = Member(id: .generate(at: now), organizerID: organizer, email: BuyerEmail.normalized(email), role: role, createdAt: now)
        let hash = try await hash(password)
        try await database.transaction { sql in
            guard try await MemberRepository(sql).insert(member, passwordHash: hash) else {
                throw ValidationFailure(field: "email", "is already a member's address")
            }
            try await AuditTrail.record("member.created", organizer: organizer, subject: member.id.rawValue,
                                        changes: .fields(["email": (nil, member.email), "role": (nil, role.rawValue)]), at: now, on: sql)
        }
        return member
    }

    /// Gives the member with the address a new password and ends its sessions; false when no member has it.
    /// - Throws: `ValidationFailure` for a password that breaks the rules.
    package func setPassword(email: String, password: String) async throws -> Bool {
        let hash = try await checkedHash(password), now = clock.now()
        return try await database.transaction { sql in
            let members = MemberRepository(sql)
            guard let (member, _) = try await members.find(email: BuyerEmail.normalized(email)) else { return false }
            try await members.setPassword(member.id, hash: hash)
            try await members.deleteSessions(member: member.id)
            try await AuditTrail.record("member.password_set", organizer: member.organizerID, subject: member.id.rawValue, changes: .none,
                                        at: now, on: sql)
            return true
        }
    }

    package func list(organizer: OrganizerID) async throws -> [Member] {
        try await database.read { sql in try await MemberRepository(sql).list(organizer: organizer) }
    }

    /// Removes a member of the organizer and ends its sessions; the last owner stays.
    /// - Throws: `PlatformError.notFound`, `PlatformError.conflict` for the last owner.
    package func remove(_ id: MemberID, organizer: OrganizerID, by actor: Member) async throws {
        let now = clock.now()
        try await database.transaction { sql in
            let members = MemberRepository(sql)
            guard let member = try await members.find(id, organizer: organizer) else { throw PlatformError.notFound("member") }
            if member.role == .owner, try await members.count(organizer: organizer, role: .owner) <= 1 {
                throw PlatformError.conflict("an organizer keeps at least one owner")
            }
            try await members.remove(id, at: now)
            try await AuditTrail.record("member.removed", organizer: organizer, subject: id.rawValue,
                                        changes: .fields(["removed_by": (nil, actor.id.rawValue)]), at: now, on: sql)
        }
    }

    // MARK: Sessions

    /// Opens a session for the address and password; nil when either is wrong (the caller cannot tell which).
    package func signIn(email: String, password: String) async throws -> Session? {
        let address = BuyerEmail.normalized(email)
        let found = try await database.read { sql in try await MemberRepository(sql).find(email: address) }
        guard try await verify(password, hash: found?.passwordHash ?? Self.decoyHash), let member = found?.0 else { return nil }
        return try await openSession(member, event: "member.signed_in")
    }

    private func openSession(_ member: Member, event: String) async throws -> Session {
        let now = clock.now()
        let token = SecretToken.make(marker: "bos_")
        let expiry = now.adding(minutes: Self.sessionLifetimeMinutes)
        try await database.transaction { sql in
            try await MemberRepository(sql).insertSession(tokenHash: SecretToken.hash(token), member: member.id, at: now, expiresAt: expiry)
            try await AuditTrail.record(event, organizer: member.organizerID, subject: member.id.rawValue,
                                        changes: .fields(["session_expires_at": (nil, expiry.rfc3339)]), at: now, on: sql)
        }
        return Session(token: token, member: member, expiresAt: expiry)
    }

    /// The open session of `token`, if any.
    package func session(token: String) async throws -> Session? {
        let now = clock.now()
        guard let (member, expiry) = try await database.read({ sql in
            try await MemberRepository(sql).session(tokenHash: SecretToken.hash(token), at: now)
        }) else { return nil }
        return Session(token: nil, member: member, expiresAt: expiry)
    }

    package func signOut(token: String) async throws {
        try await database.transaction { sql in try await MemberRepository(sql).deleteSession(tokenHash: SecretToken.hash(token)) }
    }

    /// Ends every session of the member, on every device.
    package func signOutEverywhere(_ member: Member) async throws {
        let now = clock.now()
        try await database.transaction { sql in
            let ended = try await MemberRepository(sql).deleteSessions(member: member.id)
            try await AuditTrail.record("member.signed_out_everywhere", organizer: member.organizerID, subject: member.id.rawValue,
                                        changes: .fields(["sessions_ended": (nil, "\(ended)")]), at: now, on: sql)
        }
    }

    // MARK: Invitations

    /// Emails `email` a single-use link to join `actor`'s organizer as `role`, valid for 7 days.
    /// - Throws: `ValidationFailure` for a bad address or role, or an address that is already a member's.
    package func invite(email: String, role: MemberRole, by actor: Member) async throws {
        guard let organizer = actor.organizerID, actor.role.managesMembers else { throw PlatformError.forbidden("only an owner invites members") }
        var check = Validator()
        check.check(TextRules.isEmail(email), "email", "must be an email address")
        check.check(MemberRole.organizerRoles.contains(role), "role", "must be one of owner, manager, door")
        try check.throwIfFailed()
        let address = BuyerEmail.normalized(email), now = clock.now()
        let token = SecretToken.make(marker: "mli_"), hash = SecretToken.hash(token)
        let expiry = now.adding(minutes: Self.invitationLifetimeMinutes)
        try await database.transaction { sql in
            let members = MemberRepository(sql)
            guard try await members.find(email: address) == nil else { throw ValidationFailure(field: "email", "is already a member's address") }
            guard let organizerName = try await OrganizerRepository(sql).findTenant(organizer)?.name else { throw PlatformError.notFound("organizer") }
            try await members.insertLink(tokenHash: hash, purpose: "invitation", email: address, organizer: organizer, role: role, member: nil,
                                         createdBy: actor.id, at: now, expiresAt: expiry)
            let model: [String: Any] = ["link": "\(baseURL)/backoffice/invitation?token=\(token)", "organizer": organizerName,
                                        "role": role.rawValue, "invited_by": actor.email, "valid_days": Self.invitationLifetimeMinutes / 1440]
            try await Outbox.enqueue(Notice(kind: .memberInvitation, organizer: organizer, recipient: address,
                                            content: try MailContent(sender: MailAddress(email: mailFrom, name: organizerName), replyTo: nil,
                                                                     modelObject: model),
                                            idempotencyKey: "member-invitation-\(hash.prefix(32))"), at: now, on: sql)
            try await AuditTrail.record("member.invited", organizer: organizer, subject: "email:\(address)",
                                        changes: .fields(["role": (nil, role.rawValue), "invited_by": (nil, actor.id.rawValue),
                                                          "expires_at": (nil, expiry.rfc3339)]), at: now, on: sql)
        }
    }

    /// The organizer's name, address and role of an unused invitation, without using it.
    package func invitation(token: String) async throws -> (organizer: String, email: String, role: MemberRole)? {
        let now = clock.now()
        return try await database.read { sql in
            guard let link = try await MemberRepository(sql).link(tokenHash: SecretToken.hash(token), purpose: "invitation", at: now),
                  let organizerID = link.organizerId.flatMap(OrganizerID.init), let role = link.role.flatMap(MemberRole.init),
                  let organizer = try await OrganizerRepository(sql).find(organizerID) else { return nil }
            return (organizer.name, link.email, role)
        }
    }

    /// Joins the organizer with `password` and opens a session; nil when the link is unknown, used or expired.
    /// - Throws: `ValidationFailure` for a password that breaks the rules, or an address that became a member's meanwhile.
    package func acceptInvitation(token: String, password: String) async throws -> Session? {
        let hash = try await checkedHash(password), now = clock.now()
        let member: Member? = try await database.transaction { sql in
            let members = MemberRepository(sql)
            guard let link = try await members.consumeLink(tokenHash: SecretToken.hash(token), purpose: "invitation", at: now),
                  let organizer = link.organizerId.flatMap(OrganizerID.init), let role = link.role.flatMap(MemberRole.init) else { return nil }
            let member = Member(id: .generate(at: now), organizerID: organizer, email: link.email, role: role, createdAt: now)
            guard try await members.insert(member, passwordHash: hash) else { throw ValidationFailure(field: "email", "is already a member's address") }
            try await AuditTrail.record("member.created", organizer: organizer, subject: member.id.rawValue,
                                        changes: .fields(["email": (nil, member.email), "role": (nil, role.rawValue),
                                                          "invited_by": (nil, link.memberId ?? "")]), at: now, on: sql)
            return member
        }
        guard let member else { return nil }
        return try await openSession(member, event: "member.signed_in")
    }

    // MARK: Password resets

    /// Emails a reset link valid for an hour when the address is a member's; answered alike either way.
    package func requestReset(email: String) async throws {
        let address = BuyerEmail.normalized(email), now = clock.now()
        try await database.transaction { sql in
            let members = MemberRepository(sql)
            guard let (member, _) = try await members.find(email: address),
                  try await members.linkCount(email: address, purpose: "password_reset", after: now.adding(minutes: -15)) < Self.resetsPerWindow
            else { return }
            let token = SecretToken.make(marker: "mlr_"), hash = SecretToken.hash(token)
            try await members.insertLink(tokenHash: hash, purpose: "password_reset", email: address, organizer: member.organizerID, role: nil,
                                         member: member.id, createdBy: nil, at: now, expiresAt: now.adding(minutes: Self.resetLifetimeMinutes))
            let model: [String: Any] = ["link": "\(baseURL)/backoffice/password-reset/confirm?token=\(token)",
                                        "valid_minutes": Self.resetLifetimeMinutes]
            try await Outbox.enqueue(Notice(kind: .passwordReset, organizer: member.organizerID, recipient: address,
                                            content: try MailContent(sender: MailAddress(email: mailFrom, name: "Back office"), replyTo: nil,
                                                                     modelObject: model),
                                            idempotencyKey: "password-reset-\(hash.prefix(32))"), at: now, on: sql)
            try await AuditTrail.record("member.password_reset_requested", organizer: member.organizerID, subject: member.id.rawValue,
                                        changes: .none, at: now, on: sql)
        }
    }

    /// Whether a reset link is unused and unexpired.
    package func resetIsValid(token: String) async throws -> Bool {
        let now = clock.now()
        return try await database.read { sql in
            try await MemberRepository(sql).link(tokenHash: SecretToken.hash(token), purpose: "password_reset", at: now) != nil
        }
    }

    /// Sets the password, ends every session of the member and opens a new one; nil when the link is unknown, used or expired.
    /// - Throws: `ValidationFailure` for a password that breaks the rules.
    package func resetPassword(token: String, password: String) async throws -> Session? {
        let hash = try await checkedHash(password), now = clock.now()
        let member: Member? = try await database.transaction { sql in
            let members = MemberRepository(sql)
            guard let link = try await members.consumeLink(tokenHash: SecretToken.hash(token), purpose: "password_reset", at: now),
                  let found = try await members.find(email: link.email), found.0.id.rawValue == link.memberId else { return nil }
            try await members.setPassword(found.0.id, hash: hash)
            try await members.deleteSessions(member: found.0.id)
            try await AuditTrail.record("member.password_reset", organizer: found.0.organizerID, subject: found.0.id.rawValue,
                                        changes: .none, at: now, on: sql)
            return found.0
        }
        guard let member else { return nil }
        return try await openSession(member, event: "member.signed_in")
    }
}
