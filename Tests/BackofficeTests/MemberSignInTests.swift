import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Testing

/// Members sign in with a password: the session cookie, sign-out (here and everywhere), the same
/// answer for a wrong address and a wrong password, limits, and CSRF on every form.
@Suite struct MemberSignInTests {
    @Test(arguments: TestEngines.all)
    func anOwnerSignsInSeesTheDashboardAndSignsOut(engine: DatabaseEngine) async throws {
        try await BackofficeHarness.run(engine) { h in
            var browser = PageBrowser(client: h.client)
            #expect(try await browser.get("/backoffice").headers[.location] == "/backoffice/sign-in?next=%2Fbackoffice")
            let form = try await browser.get("/backoffice/sign-in")
            let csrf = try #require(form.formValue("csrf"))
            for (email, password) in [(BackofficeHarness.ownerEmail, "wrong password!"), ("nobody@harness.example", BackofficeHarness.ownerPassword)] {
                let refused = try await browser.post("/backoffice/sign-in", form: ["csrf": csrf, "email": email, "password": password])
                #expect(refused.status == .unauthorized && refused.text.contains("Wrong email address or password."))
                #expect(refused.headers[values: .setCookie].allSatisfy { !$0.hasPrefix("backoffice_session=") })
            }
            let signedIn = try await browser.post("/backoffice/sign-in", form: [
                "csrf": csrf, "email": "OWNER@harness.example", "password": BackofficeHarness.ownerPassword, "next": "/backoffice/members",
            ])
            #expect(signedIn.status == .seeOther && signedIn.headers[.location] == "/backoffice/members")
            let cookie = try #require(signedIn.headers[values: .setCookie].first { $0.hasPrefix("backoffice_session=") })
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"))
            #expect(!cookie.contains("Secure"), "Secure only over https")

            _ = try await h.paidOrder(quantity: 2)
            let dashboard = try await browser.get("/backoffice")
            #expect(dashboard.status == .ok && dashboard.text.contains("Harness Night"))
            #expect(dashboard.text.contains(#"<strong class="sold">2 / 100</strong>"#))
            #expect(dashboard.text.contains("<strong>50.00 EUR</strong>") && dashboard.text.contains("<strong>2.50 EUR</strong>")
                    && dashboard.text.contains("<strong>47.50 EUR</strong>"),
                    "gross, fee at 500 basis points, net")
            #expect(dashboard.text.contains("<svg class=\"chart\"") && dashboard.text.contains("2 in all"))
            #expect(dashboard.text.contains("Nothing needs your attention."))

            let forged = try await browser.post("/backoffice/sign-out", form: ["csrf": "forged"])
            #expect(forged.status == .forbidden && forged.text.contains("This form expired"))
            #expect(try await browser.get("/backoffice").status == .ok, "a forged sign-out changes nothing")
            let out = try await browser.post("/backoffice/sign-out", form: ["csrf": csrf])
            #expect(out.headers[.location] == "/backoffice/sign-in")
            #expect(try await browser.get("/backoffice").status == .seeOther, "signed out")
        }
    }

    @Test(arguments: TestEngines.all)
    func signOutEverywhereEndsEverySession(engine: DatabaseEngine) async throws {
        try await BackofficeHarness.run(engine) { h in
            var phone = try await h.signedIn()
            var laptop = try await h.signedIn()
            let csrf = try #require(try await laptop.get("/backoffice").formValue("csrf"))
            #expect(try await laptop.post("/backoffice/sign-out-everywhere", form: ["csrf": csrf]).status == .seeOther)
            #expect(try await phone.get("/backoffice").status == .seeOther, "the other device is signed out too")
            #expect(try await laptop.get("/backoffice").status == .seeOther)
        }
    }

    @Test(arguments: TestEngines.all)
    func signInIsLimitedPerAddress(engine: DatabaseEngine) async throws {
        try await BackofficeHarness.run(engine, signInRateLimit: 3) { h in
            var browser = PageBrowser(client: h.client)
            let csrf = try #require(try await browser.get("/backoffice/sign-in").formValue("csrf"))
            for _ in 0..<3 {
                _ = try await browser.post("/backoffice/sign-in", form: ["csrf": csrf, "email": BackofficeHarness.ownerEmail, "password": "guess guess guess"])
            }
            let limited = try await browser.post("/backoffice/sign-in", form: [
                "csrf": csrf, "email": BackofficeHarness.ownerEmail, "password": BackofficeHarness.ownerPassword,
            ])
            #expect(limited.status == .tooManyRequests && limited.text.contains("Too many attempts"), "even the right password waits")
            h.base.clock.advance(minutes: 1)
            #expect(try await browser.post("/backoffice/sign-in", form: [
                "csrf": csrf, "email": BackofficeHarness.ownerEmail, "password": BackofficeHarness.ownerPassword,
            ]).status == .seeOther, "a minute later")
        }
    }

    @Test(arguments: TestEngines.all)
    func aPasswordResetEndsEverySessionAndOpensANewOne(engine: DatabaseEngine) async throws {
        try await BackofficeHarness.run(engine) { h in
            var old = try await h.signedIn()
            var browser = PageBrowser(client: h.client)
            let csrf = try #require(try await browser.get("/backoffice/password-reset").formValue("csrf"))
            let asked = try await browser.post("/backoffice/password-reset", form: ["csrf": csrf, "email": BackofficeHarness.ownerEmail])
            #expect(asked.status == .ok && asked.text.contains("Check your email"))
            let unknown = try await browser.post("/backoffice/password-reset", form: ["csrf": csrf, "email": "nobody@harness.example"])
            #expect(unknown.status == .ok && unknown.text.contains("Check your email"), "answered alike")
            let link = try #require(try await h.latestLink(.passwordReset))
            let page = try await browser.get(try BackofficeHarness.path(link))
            let token = try #require(page.formValue("token"))
            let short = try await browser.post("/backoffice/password-reset/confirm", form: ["csrf": csrf, "token": token, "password": "short"])
            #expect(short.status == .unprocessableContent && short.text.contains("Password must be at least 10 characters."))
            let reset = try await browser.post("/backoffice/password-reset/confirm", form: ["csrf": csrf, "token": token, "password": "a brand new password"])
            #expect(reset.status == .seeOther && reset.headers[.location] == "/backoffice")
            #expect(try await browser.get("/backoffice").status == .ok, "signed in with the new password")
            #expect(try await old.get("/backoffice").status == .seeOther, "every earlier session ended")
            let again = try await browser.post("/backoffice/password-reset/confirm", form: ["csrf": csrf, "token": token, "password": "another new password"])
            #expect(again.status == .notFound, "the link works once")
            #expect(try await h.members.signIn(email: BackofficeHarness.ownerEmail, password: BackofficeHarness.ownerPassword) == nil)
            #expect(try await h.members.signIn(email: BackofficeHarness.ownerEmail, password: "a brand new password") != nil)
        }
    }
}
