import Foundation
import Platform

/// `platform demo --payout`: the money of one Sandbox sale followed from the buyer to the
/// organizer's bank, offline. The demo organizer is treated as a trusted one (its hold is 0 days
/// from payment, as an admin may set), so the net is available at once instead of 7 days after
/// the event.
struct DemoPayout {
    let platform: Platform
    let seed: DemoSeed.Result

    func run() async throws -> String {
        let organizer = seed.organizer.id
        let methods = platform.payoutMethods
        _ = try await platform.catalog.updateOrganizer(organizer, senderName: nil, replyTo: nil,
                                                       payoutHold: .some(PayoutHold(from: .payment, days: 0))) { organizer, sql in
            let (provider, account) = try methods.validated(provider: "sandbox", account: "sandbox:demo-events")
            try await methods.set(organizer, provider: provider, account: account, by: "admin", on: sql)
        }
        // The Sandbox settles payouts by its own webhook, which needs it installed as the server installs it.
        _ = buildRouter(platform)
        guard let variant = seed.variants.first else { throw PlatformError.notFound("variant") }
        let placed = try await platform.checkout.place(CheckoutInput(
            eventID: seed.event.id, lines: [CartLine(variantID: variant.id, quantity: 1)], email: "buyer@demo-events.example", provider: "sandbox"))
        let order = placed.order
        // As the Sandbox checkout page's Pay button would, through the same command.
        try await platform.database.transaction { sql in
            _ = try await platform.payments.apply(.paid(order: order.id, amount: order.total.minorUnits, currency: order.total.currency.code,
                                                        paymentReference: "sbx_pay_demo_\(order.id)"), provider: "sandbox", on: sql)
        }
        var lines = ["A buyer paid \(order.total) for order \(order.id) (1 x \(variant.name))."]
        lines.append("  balance:   \(try await balance())")
        try await platform.holdRelease.run()
        lines.append("The hold ended (0 days after payment for the demo organizer); the net is available.")
        lines.append("  balance:   \(try await balance())")
        let report = try await platform.payouts.run(PayoutRunRequest(organizer: organizer))
        for payout in report.payouts {
            lines.append("A payout run sent \(payout.amount) to sandbox:demo-events as \(payout.payoutID?.rawValue ?? "?") (\(payout.status)).")
        }
        await platform.inbox.drain()
        lines.append("The Sandbox's payout.paid webhook settled it.")
        lines.append("  balance:   \(try await balance())")
        return lines.joined(separator: "\n")
    }

    func balance() async throws -> String {
        guard let euro = try await platform.balances.organizer(seed.organizer.id).first(where: { $0.currency == seed.event.currency.code }) else {
            return "nothing yet"
        }
        let money = { (amount: Int64) in Money(minorUnits: amount, currency: seed.event.currency).description }
        return "pending \(money(euro.pending)), available \(money(euro.available)), in transit \(money(euro.inTransit)), "
            + "paid out \(money(euro.paidOut)), owed \(money(euro.owed))"
    }
}
