import PluginKit

package enum MemberKind: IDKind { package static let prefix = "mem", noun = "member" }
package typealias MemberID = TypedID<MemberKind>

/// What a person who signs in to the pages may do. Organizer members are owners, managers or door
/// staff of one organizer; admins run the platform and belong to none.
package enum MemberRole: String, Sendable, Codable, CaseIterable {
    /// Everything of the organizer: members, API keys, payout method, events, orders, refunds, the door.
    case owner
    /// Events, orders and refunds, and the door.
    case manager
    /// The scanner page only.
    case door
    /// The platform's admin pages.
    case admin

    package static let organizerRoles: [MemberRole] = [.owner, .manager, .door]

    package var managesMembers: Bool { self == .owner }
    package var managesEvents: Bool { self == .owner || self == .manager }
    package var refunds: Bool { managesEvents }
    package var seesMoney: Bool { self == .owner }
    package var scans: Bool { self != .admin }
}

/// A person who signs in with an email address and a password.
package struct Member: Sendable, Hashable {
    package let id: MemberID
    /// Nil for an admin.
    package let organizerID: OrganizerID?
    package let email: String
    package var role: MemberRole
    package let createdAt: Timestamp

    /// Passwords are 10 characters or more, and at most 72 bytes: bcrypt reads no further.
    package static func checkPassword(_ password: String, into check: inout Validator) {
        check.check(password.count >= 10, "password", "must be at least 10 characters")
        check.check(password.utf8.count <= 72, "password", "must be at most 72 bytes")
    }
}
