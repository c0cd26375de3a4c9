import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing

/// Owners invite members by a single-use emailed link and remove them; roles decide which pages
/// open; API keys are made and revoked on a page.
@Suite struct MemberPagesTests {
    @Test(arguments: TestEngines.all)
    func anOwnerInvitesDoorStaffWhoSeeOnlyWhatTheirRoleAllows(engine: DatabaseEngine) async throws {
        try await BackofficeHarness.run(engine) { h in
            var owner = try await h.signedIn()
            let csrf = try #require(try await owner.get("/backoffice/members").formValue("csrf"))
            let bad = try await owner.post("/backoffice/members/invitations", form: ["csrf": csrf, "email": "not an email", "role": "door"])
            #expect(bad.status == .unprocessableContent && bad.text.contains("Email must be an email address."))
            let taken = try await owner.post("/backoffice/members/invitations", form: ["csrf": csrf, "email": BackofficeHarness.ownerEmail, "role": "door"])
            #expect(taken.status == .unprocessableContent && taken.text.contains("already a member"))
            let sent = try await owner.post("/backoffice/members/invitations", form: ["csrf": csrf, "email": "door@harness.example", "role": "door"])
            #expect(sent.status == .ok && sent.text.contains("Invitation sent to door@harness.example as door."))

            let link = try #require(try await h.latestLink(.memberInvitation))
            var door = PageBrowser(client: h.client)
            let invitation = try await door.get(try BackofficeHarness.path(link))
            #expect(invitation.status == .ok && invitation.text.contains("Join Harness") && invitation.text.contains("<strong>door</strong>"))
            let token = try #require(invitation.formValue("token"))
            let doorCSRF = try #require(invitation.formValue("csrf"))
            let weak = try await door.post("/backoffice/invitation", form: ["csrf": doorCSRF, "token": token, "password": "123"])
            #expect(weak.status == .unprocessableContent && weak.text.contains("at least 10 characters"))
            let joined = try await door.post("/backoffice/invitation", form: ["csrf": doorCSRF, "token": token, "password": "door staff password"])
            #expect(joined.status == .seeOther && joined.headers[.location] == "/door", "door staff land on the door page")
            let refused = try await door.get("/backoffice")
            #expect(refused.status == .forbidden && refused.text.contains("Your role (door) does not open this page."))
            #expect(try await door.get("/backoffice/members").status == .forbidden)
            #expect(try await door.get("/backoffice/api-keys").status == .forbidden)
            #expect(try await door.post("/backoffice/invitation", form: ["csrf": doorCSRF, "token": token, "password": "door staff password"])
                .status == .notFound, "an invitation works once")

            let members = try await owner.get("/backoffice/members")
            #expect(members.text.contains("door@harness.example") && members.text.contains(BackofficeHarness.ownerEmail))
            let doorID = try #require(try await h.members.list(organizer: h.organizer).first { $0.role == .door }?.id)
            let ownerID = try #require(try await h.members.list(organizer: h.organizer).first { $0.role == .owner }?.id)
            let lastOwner = try await owner.post("/backoffice/members/\(ownerID)/remove", form: ["csrf": csrf])
            #expect(lastOwner.status == .conflict && lastOwner.text.contains("An organizer keeps at least one owner."))
            #expect(try await owner.post("/backoffice/members/\(doorID)/remove", form: ["csrf": csrf]).status == .ok)
            #expect(try await door.get("/backoffice").status == .seeOther, "a removed member's sessions end")
        }
    }

    @Test(arguments: TestEngines.all)
    func anotherOrganizersMemberIsNotFound(engine: DatabaseEngine) async throws {
        try await BackofficeHarness.run(engine) { h in
            let (other, _) = try await h.base.platform.catalog.createOrganizer(name: "Other", slug: "other", email: "o@other.example", feeBasisPoints: nil)
            let stranger = try await h.members.create(email: "owner@other.example", password: "other owner password", role: .owner, organizer: other.id)
            var owner = try await h.signedIn()
            let csrf = try #require(try await owner.get("/backoffice/members").formValue("csrf"))
            #expect(try await owner.post("/backoffice/members/\(stranger.id)/remove", form: ["csrf": csrf]).status == .notFound)
            #expect(try await h.members.list(organizer: other.id).count == 1, "nothing changed")
        }
    }

    @Test(arguments: TestEngines.all)
    func anOwnerMakesAnAPIKeySeesItOnceAndRevokesIt(engine: DatabaseEngine) async throws {
        try await BackofficeHarness.run(engine) { h in
            var owner = try await h.signedIn()
            let csrf = try #require(try await owner.get("/backoffice/api-keys").formValue("csrf"))
            let made = try await owner.post("/backoffice/api-keys", form: ["csrf": csrf, "label": "box office till"])
            let secret = try #require(made.text.range(of: #"<code id="new-key">"#).map { String(made.text[$0.upperBound...].prefix(44)) })
            #expect(secret.hasPrefix("plk_"))
            #expect(try await h.client.get("/api/v1/events", key: secret).status == .ok, "the key works on the API")
            let listed = try await owner.get("/backoffice/api-keys")
            #expect(listed.text.contains("box office till") && !listed.text.contains(secret), "the secret is shown once")
            let keys = try await h.base.platform.catalog.organizerKeys(h.organizer)
            let id = try #require(keys.first { $0.label == "box office till" }?.id)
            let revoked = try await owner.post("/backoffice/api-keys/\(id)/revoke", form: ["csrf": csrf])
            #expect(revoked.status == .ok && revoked.text.contains("Key revoked"))
            #expect(try await h.client.get("/api/v1/events", key: secret).status == .unauthorized, "revoked at once")
        }
    }
}
