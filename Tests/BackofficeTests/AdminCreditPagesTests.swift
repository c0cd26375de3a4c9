import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing

/// The admin's credit page: packs defined and taken off sale, wallets and their shortfalls.
@Suite struct AdminCreditPagesTests {
    @Test(arguments: TestEngines.all)
    func anAdminDefinesAPackTakesItOffSaleAndSeesShortfalls(engine: DatabaseEngine) async throws {
        try await BackofficeHarness.run(engine) { h in
            _ = try await h.members.create(email: AdminPagesTests.admin.0, password: AdminPagesTests.admin.1, role: .admin, organizer: nil)
            var owner = try await h.signedIn()
            #expect(try await owner.get("/admin/credit").status == .forbidden, "an organizer's owner is no admin")
            var admin = try await h.signedIn(AdminPagesTests.admin.0, password: AdminPagesTests.admin.1, lands: "/admin")
            let page = try await admin.get("/admin/credit")
            #expect(page.status == .ok && page.text.contains("No wallets."))
            let csrf = try #require(page.formValue("csrf"))
            let bad = try await admin.post("/admin/credit/packs", form: ["csrf": csrf, "name": "Ten", "currency": "EUR", "price": "ten", "credit": "12.00"])
            #expect(bad.status == .unprocessableContent && bad.text.contains("Price must be an amount such as 25.00") && bad.text.contains(#"value="12.00""#))
            let made = try await admin.post("/admin/credit/packs", form: [
                "csrf": csrf, "name": "Ten", "currency": "eur", "price": "10.00", "credit": "12.00", "expires_days": "365",
            ])
            #expect(made.status == .ok && made.text.contains("Ten is on sale."), "\(made.text.suffix(500))")
            #expect(made.text.contains("<td>10.00 EUR</td><td>12.00 EUR</td><td>365 days</td>"))
            let packs = try await h.base.platform.wallets.packs(activeOnly: false)
            let pack = try #require(packs.first)
            #expect(pack.price.minorUnits == 1_000 && pack.credit == 1_200 && pack.expiresDays == 365 && pack.active)

            // A buyer buys it: the wallet is listed with its credit.
            let placed = try await h.client.send(.post, "/api/v1/public/credit-packs/\(pack.id)/orders", json: #"{"email":"ada@example.com","provider":"test"}"#,
                                                 headers: [HTTPField.Name("Idempotency-Key")!: "admin-pack"])
            let order = try #require(placed.orderID)
            _ = try await h.base.deliver(id: "admin-pack-paid", type: "paid", order: order, amount: 1_000, reference: "pay-admin-pack")
            await h.base.drain()
            let wallets = try await admin.get("/admin/credit")
            #expect(wallets.text.contains("<td>ada@example.com</td><td>12.00 EUR</td>"))

            let off = try await admin.post("/admin/credit/packs/\(pack.id)", form: ["csrf": csrf])
            #expect(off.status == .ok && off.text.contains("Ten is off sale"))
            #expect(try await h.base.platform.wallets.packs(activeOnly: true).isEmpty)
            let on = try await admin.post("/admin/credit/packs/\(pack.id)", form: ["csrf": csrf, "active": "1"])
            #expect(on.text.contains("Ten is on sale; purchases made keep their credit."))
            #expect(try await admin.post("/admin/credit/packs/\(pack.id)", form: ["active": "1"]).status == .forbidden, "no CSRF value")
            let shortfalls = try await admin.get("/admin/credit?owing=true")
            #expect(shortfalls.text.contains("No wallets owe anything."))
        }
    }
}
