import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing

/// The admin's pages: the ledger with its invariants, an organizer's fee and payout method, a payout
/// run previewed then confirmed, and the triage lists.
@Suite struct AdminPagesTests {
    static let admin = ("admin@platform.example", "admin password 123")

    @Test(arguments: TestEngines.all)
    func anAdminSetsAFeeAndAPayoutMethodPreviewsARunAndConfirmsIt(engine: DatabaseEngine) async throws {
        try await BackofficeHarness.run(engine) { h in
            _ = try await h.members.create(email: Self.admin.0, password: Self.admin.1, role: .admin, organizer: nil)
            var owner = try await h.signedIn()
            #expect(try await owner.get("/admin").status == .forbidden, "an organizer's owner is no admin")
            var admin = try await h.signedIn(Self.admin.0, password: Self.admin.1, lands: "/admin")
            let overview = try await admin.get("/admin")
            #expect(overview.status == .ok && overview.text.contains("The ledger's invariants hold"))

            let organizers = try await admin.get("/admin/organizers")
            let csrf = try #require(organizers.formValue("csrf"))
            #expect(organizers.text.contains("Harness") && organizers.text.contains("500 basis points"))
            let tooMuch = try await admin.post("/admin/organizers/\(h.organizer)", form: ["csrf": csrf, "fee_bps": "20000"])
            #expect(tooMuch.status == .unprocessableContent && tooMuch.text.contains("between 0 and 10000"))
            let saved = try await admin.post("/admin/organizers/\(h.organizer)", form: [
                "csrf": csrf, "fee_bps": "300", "payout_provider": "test", "payout_account": "test_acct_harness",
            ])
            #expect(saved.status == .ok && saved.text.contains("Harness saved."), "\(saved.text.suffix(600))")
            _ = try await h.paidOrder(quantity: 1)
            let fees = try await h.base.accountBalances()
            #expect(fees.first { $0.key.hasPrefix("platform_fee") || $0.key.contains("fee_revenue") }?.value.magnitude == 75, "3% of 25.00: \(fees)")

            try await h.base.releaseAll()
            admin = try await h.signedIn(Self.admin.0, password: Self.admin.1, lands: "/admin")
            let csrf2 = try #require(admin.cookies["csrf"])
            let preview = try await admin.post("/admin/payouts", form: ["csrf": csrf2, "currency": "eur"])
            #expect(preview.status == .ok && preview.text.contains("<td>Harness</td><td>24.25 EUR</td>") && preview.text.contains("planned"))
            let afterPreview = try await h.base.payouts()
            #expect(preview.text.contains(#"id="confirm-form""#) && afterPreview.isEmpty, "a preview pays nobody")
            let run = try await admin.post("/admin/payouts", form: ["csrf": csrf2, "currency": "EUR", "confirm": "1"])
            #expect(run.text.contains("Payout run done: 1 payout sent.") && !run.text.contains(#"id="confirm-form""#))
            #expect(try await h.base.payouts().map(\.amount.minorUnits) == [2_425])
            let again = try await admin.post("/admin/payouts", form: ["csrf": csrf2, "currency": "EUR", "confirm": "1"])
            let afterAgain = try await h.base.payouts()
            #expect(again.text.contains("Payout run done: 0 payouts sent.") && afterAgain.count == 1, "nobody is paid twice")
            let bad = try await admin.post("/admin/payouts", form: ["csrf": csrf2, "currency": "EURO"])
            #expect(bad.status == .unprocessableContent)
        }
    }

    @Test(arguments: TestEngines.all)
    func theTriageListsShowAndReplayOnlyWhatExists(engine: DatabaseEngine) async throws {
        try await BackofficeHarness.run(engine) { h in
            _ = try await h.members.create(email: Self.admin.0, password: Self.admin.1, role: .admin, organizer: nil)
            var admin = try await h.signedIn(Self.admin.0, password: Self.admin.1, lands: "/admin")
            let triage = try await admin.get("/admin/triage")
            #expect(triage.status == .ok && triage.text.contains("Webhooks that failed"))
            let csrf = try #require(triage.formValue("csrf") ?? admin.cookies["csrf"])
            let missing = try await admin.post("/admin/triage/webhooks/whk_01nothing000000000000000000/replay", form: ["csrf": csrf])
            #expect(missing.status == .notFound && missing.text.contains("nothing was changed"))
            #expect(try await admin.post("/admin/triage/webhooks/whk_01nothing000000000000000000/replay", form: ["csrf": "forged"]).status == .forbidden)
        }
    }
}

/// An admin suspends an organizer: its events leave the shop, its keys and members stop, payouts
/// wait; reinstated, all of it comes back.
@Suite struct SuspensionTests {
    @Test(arguments: TestEngines.all)
    func aSuspendedOrganizerSellsNothingSignsNobodyInAndIsNotPaid(engine: DatabaseEngine) async throws {
        try await BackofficeHarness.run(engine) { h in
            _ = try await h.members.create(email: AdminPagesTests.admin.0, password: AdminPagesTests.admin.1, role: .admin, organizer: nil)
            _ = try await h.paidOrder(quantity: 1)
            #expect(try await h.base.setPayoutMethod("test_acct_harness").status == .ok)
            var admin = try await h.signedIn(AdminPagesTests.admin.0, password: AdminPagesTests.admin.1, lands: "/admin")
            var owner = try await h.signedIn()
            let csrf = try #require(try await admin.get("/admin/organizers").formValue("csrf"))
            let suspended = try await admin.post("/admin/organizers/\(h.organizer)/suspension", form: ["csrf": csrf, "suspend": "1"])
            #expect(suspended.status == .ok && suspended.text.contains("Harness is suspended"))

            #expect(try await h.client.get("/e/\(h.base.eventID)").status == .notFound, "the event left the shop")
            #expect(try await h.client.get("/api/v1/public/events/\(h.base.eventID)").status == .notFound)
            #expect(try await h.base.placeOrder().status == .notFound, "nothing is sold")
            #expect(try await h.client.get("/api/v1/events", key: h.base.organizerKey).status == .unauthorized, "its API key stopped")
            #expect(try await owner.get("/backoffice").status == .seeOther, "its members' sessions stopped")
            #expect(try await h.members.signIn(email: BackofficeHarness.ownerEmail, password: BackofficeHarness.ownerPassword) == nil)

            try await h.base.releaseAll()
            admin = try await h.signedIn(AdminPagesTests.admin.0, password: AdminPagesTests.admin.1, lands: "/admin")
            let csrf2 = try #require(admin.cookies["csrf"])
            let preview = try await admin.post("/admin/payouts", form: ["csrf": csrf2])
            #expect(preview.text.contains("the organizer is suspended") && preview.text.contains("Nothing to pay"))

            let reinstated = try await admin.post("/admin/organizers/\(h.organizer)/suspension", form: ["csrf": csrf2])
            #expect(reinstated.text.contains("Harness is reinstated."))
            #expect(try await h.client.get("/e/\(h.base.eventID)").status == .ok)
            #expect(try await h.client.get("/api/v1/events", key: h.base.organizerKey).status == .ok, "the key works again")
            owner = try await h.signedIn()
            #expect(try await owner.get("/backoffice").status == .ok)
        }
    }
}
