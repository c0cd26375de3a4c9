import Platform
import PluginKit

/// The demo organizer's owner and door staff, with passwords made afresh on every run (like the
/// demo's keys), so that the printed ones are the ones that work.
struct DemoMembers {
    static let owner = "owner@demo-events.example"
    static let door = "door@demo-events.example"

    let members: Members
    let organizer: OrganizerID

    func run() async throws -> (owner: String, door: String) {
        var passwords: [String] = []
        for (email, role) in [(Self.owner, MemberRole.owner), (Self.door, .door)] {
            let password = SecretToken.make(marker: "").prefix(20).lowercased()
            if try await !members.setPassword(email: email, password: password) {
                _ = try await members.create(email: email, password: password, role: role, organizer: organizer)
            }
            passwords.append(password)
        }
        return (passwords[0], passwords[1])
    }
}
