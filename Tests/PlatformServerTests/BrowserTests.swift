import Foundation
import Platform
import PlatformTesting
import Testing

/// The pages in headless Chromium (Debian's `chromium` and `chromium-driver`, Selenium from the
/// test virtualenv): `Python/browser_buyer.py` buys two tickets on the demo event through the
/// Sandbox and checks the order page, the QR codes and the .ics; `Python/browser_backoffice.py`
/// signs the organizer's owner in, finds the order on the dashboard and invites door staff; here,
/// what the database holds after each.
@Suite struct BrowserTests {
    @Test(arguments: TestEngines.all)
    func aBuyerBuysTwoTicketsAndTheOwnerSeesThem(engine: DatabaseEngine) async throws {
        let signal = FileManager.default.temporaryDirectory.appendingPathComponent("pay-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: signal) }
        try await ServedPlatform.serve(engine, workersStart: { try await fileAppears(signal) }) { served in
            let catalog = served.platform.catalog
            let hostileTitle = "<script>window.__pwned = 1</script><b>Bold</b> & \"Co\""
            let hostile = try await catalog.createEvent(NewEvent(
                title: hostileTitle, startsAt: served.demo.event.startsAt, timezone: "Europe/Berlin", currency: .eur, status: .live),
                organizer: served.demo.organizer.id)
            _ = try await catalog.createVariant(NewVariant(name: "<i>Standing</i>", price: 1_000, quota: 10, status: .live),
                                                event: hostile.id, organizer: served.demo.organizer.id)
            guard let output = try await served.run("browser_buyer.py", [
                "base": served.base, "event": served.demo.event.id.rawValue, "event_title": served.demo.event.title,
                "event_starts": String(served.demo.event.startsAt.rfc3339.prefix(19)) + "Z",
                "hostile_event": hostile.id.rawValue, "hostile_title": hostileTitle,
                "organizer_key": served.demo.organizerKey.secret, "pay_signal": signal,
                "shots": ServedPlatform.screenshots("buyer", engine: engine),
            ]) else { return }
            print(output.split(separator: "\n").filter { $0.hasPrefix("FIGURES") || $0.hasPrefix("event page") }.joined(separator: "\n"))
            let orders = try await served.platform.database.read { sql in
                try await OrderRepository(sql).list(email: "ada@example.com", statuses: OrderStatus.allCases, limit: 10)
            }
            #expect(orders.count == 1, "two clicks placed one order")
            #expect(orders.first?.status == .paid)
            #expect(orders.first?.lines.map(\.quantity) == [2])

            // The organizer's owner, on the same data; another organizer's order it must not see.
            let password = "owner password for the browser"
            _ = try await served.platform.members.create(email: "owner@demo.example", password: password, role: .owner,
                                                         organizer: served.demo.organizer.id)
            let (other, _) = try await catalog.createOrganizer(name: "Other Hall", slug: "other-hall", email: "o@other.example", feeBasisPoints: nil)
            let otherEvent = try await catalog.createEvent(NewEvent(title: "Elsewhere", startsAt: served.demo.event.startsAt, timezone: "UTC",
                                                                    currency: .eur, status: .live), organizer: other.id)
            let (otherVariant, _) = try await catalog.createVariant(NewVariant(name: "GA", price: 1_000, quota: 5, status: .live),
                                                                    event: otherEvent.id, organizer: other.id)
            let otherOrder = try await served.platform.checkout.place(CheckoutInput(
                eventID: otherEvent.id, lines: [CartLine(variantID: otherVariant.id, quantity: 1)], email: "x@example.com", provider: "sandbox"))
            guard let backoffice = try await served.run("browser_backoffice.py", [
                "base": served.base, "event": served.demo.event.id.rawValue, "buyer_email": "ada@example.com",
                "other_order": otherOrder.order.id.rawValue, "owner_email": "owner@demo.example", "owner_password": password,
                "outbox": served.scratch.appendingPathComponent("outbox").path, "shots": ServedPlatform.screenshots("backoffice", engine: engine),
            ]) else { return }
            print(backoffice.split(separator: "\n").filter { $0.hasPrefix("FIGURES") }.joined(separator: "\n"))
            let door = try await served.platform.members.list(organizer: served.demo.organizer.id).filter { $0.role == .door }
            #expect(door.map(\.email) == ["door.staff@example.com"], "the invited door member joined")

            // The admin pays the organizer what is left: one ticket's net.
            try await served.platform.holdRelease.run()
            _ = try await served.platform.members.create(email: "admin@platform.example", password: "admin password 123", role: .admin, organizer: nil)
            guard try await served.run("browser_admin.py", [
                "base": served.base, "admin_email": "admin@platform.example", "admin_password": "admin password 123",
                "owner_email": "owner@demo.example", "owner_password": password, "organizer": served.demo.organizer.id.rawValue,
                "shots": ServedPlatform.screenshots("admin", engine: engine),
            ]) != nil else { return }
            let payouts = try await served.platform.database.read { sql in
                try await PayoutRepository(sql).list(organizer: served.demo.organizer.id, before: nil, limit: 10)
            }
            #expect(payouts.map(\.amount.minorUnits) == [2_375] && payouts.first?.status == .settled, "25.00 less 5%, once, settled by the Sandbox")
            let discrepancies = try await served.platform.database.read { sql in try await LedgerInvariants.check(on: sql) }
            #expect(discrepancies == [], "the ledger's invariants after the browser's day")
        }
    }
}

/// Buyer credit in headless Chromium: `Python/browser_credit.py` buys the demo credit pack through
/// the Sandbox, signs in to My tickets and pays a ticket with the credit alone.
@Suite struct CreditBrowserTests {
    @Test(arguments: TestEngines.all)
    func aBuyerBuysCreditAndPaysATicketWithIt(engine: DatabaseEngine) async throws {
        try await ServedPlatform.serve(engine) { served in
            guard let output = try await served.run("browser_credit.py", [
                "base": served.base, "event": served.demo.event.id.rawValue, "outbox": served.scratch.appendingPathComponent("outbox").path,
                "shots": ServedPlatform.screenshots("credit", engine: engine),
            ]) else { return }
            let id = try #require(output.split(separator: "\n").first { $0.hasPrefix("ORDER ") }.flatMap { OrderID(String($0.dropFirst(6))) })
            let order = try #require(try await served.platform.database.read { sql in try await OrderRepository(sql).find(id) })
            #expect(order.status == .paid && order.provider == "credits" && order.creditAmount == 2_500)
            let balance = try await served.platform.wallets.balance(email: "grace@example.com", currency: .eur)
            #expect(balance?.available == 2_500)
            let discrepancies = try await served.platform.database.read { sql in try await LedgerInvariants.check(on: sql) }
            #expect(discrepancies == [], "the ledger's invariants after the browser's purchases")
        }
    }
}

/// The door scanner page in headless Chromium: `Python/browser_door.py` pairs the browser as a
/// door member, scans online, then offline while this test has stopped the server, and uploads.
@Suite struct DoorBrowserTests {
    @Test(arguments: TestEngines.all)
    func doorStaffScanOnlineThenOfflineAndTheScanIsUploadedOnce(engine: DatabaseEngine) async throws {
        try await ServedPlatform.serve(engine) { served in
            let password = "door staff password"
            _ = try await served.platform.members.create(email: "door@demo.example", password: password, role: .door,
                                                         organizer: served.demo.organizer.id)
            let cut = served.scratch.appendingPathComponent("cut").path, restore = served.scratch.appendingPathComponent("restore").path
            let follower = Task { try await served.server.follow(cut: cut, restore: restore) }
            defer { follower.cancel() }
            guard let output = try await served.run("browser_door.py", [
                "base": served.base, "event": served.demo.event.id.rawValue, "organizer_key": served.demo.organizerKey.secret,
                "door_email": "door@demo.example", "door_password": password, "cut": cut, "restore": restore,
                "shots": ServedPlatform.screenshots("door", engine: engine),
            ]) else { return }
            print(output.split(separator: "\n").filter { $0.hasPrefix("FIGURES") || $0.contains("a minute") }.joined(separator: "\n"))
        }
    }
}
