import Foundation
import Platform
import PlatformTesting
import SQLKit

/// What a campaign's database and fakes hold once its servers are stopped: each figure printed,
/// and each broken promise listed in `failures`.
struct CampaignChecks {
    let database: any Database
    let setup: CampaignSetup
    let stripe: FakeStripe
    let resend: FakeResend
    /// Whether an email may have been tried more than once: a killed server's lease ran out, or the
    /// database went away between a send and its record (the lease runs out; Resend's key holds).
    let interrupted: Bool
    private(set) var failures: [String] = []

    init(database: any Database, setup: CampaignSetup, stripe: FakeStripe, resend: FakeResend, interrupted: Bool) {
        self.database = database
        self.setup = setup
        self.stripe = stripe
        self.resend = resend
        self.interrupted = interrupted
    }

    private mutating func expect(_ holds: Bool, _ line: String) {
        print("  \(holds ? "ok  " : "FAIL") \(line)")
        if !holds { failures.append(line) }
    }

    mutating func run(paid flows: [(order: String, email: String, quantity: Int)], now: Timestamp) async throws {
        struct Seats: Decodable { let quota: Int64, sold: Int64, reserved: Int64 }
        struct OrderRow: Decodable { let id: String, status: String, email: String, seats: Int64, tickets: Int64, expires_at: Int64 }
        struct Count: Decodable { let n: Int64 }
        struct Duplicate: Decodable { let action: String, n: Int64 }
        struct Payout: Decodable { let id: String, status: String, amount: Int64 }
        let variant = setup.variantID, event = setup.eventID
        let (seats, orders, stuck, discrepancies, duplicates, payouts) = try await database.read { sql in
            let seats = try await sql.raw("SELECT quota, sold, reserved FROM ticket_variants WHERE id = \(bind: variant)").first(decoding: Seats.self)
            let orders = try await sql.raw("""
                SELECT o.id, o.status, o.email, o.expires_at,
                       CAST((SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l WHERE l.order_id = o.id) AS BIGINT) AS seats,
                       (SELECT COUNT(*) FROM tickets t WHERE t.order_id = o.id) AS tickets
                FROM orders o WHERE o.event_id = \(bind: event)
                """).all(decoding: OrderRow.self)
            var stuck: [String: Int64] = [:]
            for (name, query) in [
                ("webhooks not yet applied", "SELECT COUNT(*) AS n FROM webhook_inbox WHERE status = 'pending'"),
                ("webhooks failed or dead", "SELECT COUNT(*) AS n FROM webhook_inbox WHERE status IN ('failed', 'dead')"),
                ("emails queued or being sent", "SELECT COUNT(*) AS n FROM outbox_messages WHERE status IN ('queued', 'sending')"),
                ("emails dead", "SELECT COUNT(*) AS n FROM outbox_messages WHERE status = 'dead'"),
                ("refunds the provider has not confirmed", "SELECT COUNT(*) AS n FROM refunds WHERE status = 'requested'"),
                ("refunds failed", "SELECT COUNT(*) AS n FROM refunds WHERE status = 'failed'"),
                ("payouts still sending", "SELECT COUNT(*) AS n FROM payouts WHERE status = 'sending'"),
            ] {
                stuck[name] = try await sql.raw(SQLQueryString(query)).first(decoding: Count.self)?.n ?? -1
            }
            let discrepancies = try await LedgerInvariants.check(on: sql)
            let duplicates = try await sql.raw("""
                SELECT action, COUNT(*) AS n FROM (
                    SELECT action, subject_id FROM audit_log
                    WHERE action IN ('order.paid', 'order.expired', 'order.refunded', 'order.refund_requested', 'payout.sent', 'payout.settled')
                    GROUP BY action, subject_id HAVING COUNT(*) > 1) twice
                GROUP BY action
                """).all(decoding: Duplicate.self)
            let payouts = try await sql.raw("SELECT id, status, amount FROM payouts").all(decoding: Payout.self)
            return (seats, orders, stuck, discrepancies, duplicates, payouts)
        }

        print("seats")
        let quota = seats?.quota ?? 0, sold = seats?.sold ?? 0
        let paidStatuses: Set<String> = ["paid", "partially_refunded", "refunded"]
        let keptSeats = orders.filter { $0.status == "paid" || $0.status == "partially_refunded" }.reduce(0) { $0 + $1.seats }
        expect(sold <= quota && keptSeats <= quota, "\(sold) sold of \(quota), \(keptSeats) seats held by paid orders: \(max(0, max(sold, keptSeats) - quota)) oversold")
        expect(sold == keptSeats, "the variant's sold count (\(sold)) equals the seats of its paid orders (\(keptSeats))")
        expect(seats?.reserved == orders.filter { $0.status == "pending" }.reduce(0) { $0 + $1.seats },
               "\(seats?.reserved ?? -1) seats reserved, by \(orders.filter { $0.status == "pending" }.count) pending orders")

        print("orders and tickets")
        let byStatus = Dictionary(grouping: orders, by: \.status).mapValues(\.count).sorted { $0.key < $1.key }
        print("  orders by status: " + byStatus.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        let paidOrders = orders.filter { paidStatuses.contains($0.status) }
        let wrongTickets = paidOrders.filter { $0.tickets != $0.seats }
        expect(wrongTickets.isEmpty, "\(paidOrders.count - wrongTickets.count) of \(paidOrders.count) paid orders have exactly their tickets")
        let ticketsUnpaid = orders.filter { !paidStatuses.contains($0.status) && $0.tickets > 0 }
        expect(ticketsUnpaid.isEmpty, "\(ticketsUnpaid.count) unpaid orders with tickets")
        let seen = Set(flows.map(\.order))
        expect(seen.isSubset(of: Set(paidOrders.map(\.id))), "every order a buyer saw paid is paid in the database (\(seen.count))")
        let overdue = orders.filter { $0.status == "pending" && $0.expires_at < now.milliseconds - 90_000 }
        expect(overdue.isEmpty, "\(overdue.count) pending orders more than 90 s past their reservation (the expiry worker's)")

        print("confirmations (at the fake Resend)")
        let byKey = resend.deliveriesByKey
        let tried = resend.requestsByKey
        let confirmations = resend.deliveries.filter { $0.subject == "Your tickets for \(CampaignSetup.eventTitle)" }
        let byAddress = Dictionary(confirmations.flatMap(\.to).map { ($0, 1) }, uniquingKeysWith: +)
        let confirmed = paidOrders.filter { byKey["order-confirmation-\($0.id)"] == 1 }
        expect(confirmed.count == paidOrders.count, "\(confirmed.count) of \(paidOrders.count) paid orders have exactly one confirmation by idempotency key")
        let oncePerMessage = paidOrders.filter { byAddress[$0.email] == 1 }
        expect(oncePerMessage.count == paidOrders.count, "\(oncePerMessage.count) of \(paidOrders.count) buyers received exactly one confirmation message")
        expect(confirmations.count == paidOrders.count, "\(confirmations.count) confirmations delivered in all")
        let retriedKeys = tried.filter { $0.value > 1 }
        print("  emails tried more than once (a sender killed, or its database gone, before the send was recorded): \(retriedKeys.count)")
        if !interrupted { expect(retriedKeys.isEmpty, "no email was handled twice") }

        print("payouts (at the fake Stripe)")
        let transfers = stripe.requests.filter { $0.path == "/v1/transfers" }
        let keysByPayout = Dictionary(grouping: transfers, by: { Dictionary($0.form, uniquingKeysWith: { $1 })["metadata[payout_id]"] ?? "" })
            .mapValues { Set($0.compactMap { $0.headers["idempotency-key"] }) }
        let twice = keysByPayout.filter { $0.value.count != 1 || $0.value.first != $0.key }
        print("  payouts: \(payouts.count) (" + Dictionary(grouping: payouts, by: \.status).mapValues(\.count).sorted { $0.key < $1.key }
            .map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "), transfer requests: \(transfers.count)")
        expect(twice.isEmpty && Set(keysByPayout.keys) == Set(payouts.map(\.id)),
               "\(keysByPayout.count) payouts reached Stripe, each under its own id as the one idempotency key: none sent twice")

        print("ledger and workers")
        expect(discrepancies.isEmpty, "ledger invariants: \(discrepancies.count) discrepancies" + (discrepancies.first.map { " (\($0))" } ?? ""))
        for (name, count) in stuck.sorted(by: { $0.key < $1.key }) {
            let allowed = name == "refunds failed" || name == "payouts still sending"
            if allowed { print("        \(name): \(count)") } else { expect(count == 0, "\(name): \(count)") }
        }
        expect(duplicates.isEmpty, "handler runs recorded twice in the audit log: "
            + (duplicates.isEmpty ? "0" : duplicates.map { "\($0.action) \($0.n)" }.joined(separator: ", ")))
    }

    /// Every secret's occurrences in the servers' logs; a hit is named by its label, never its value.
    mutating func searchLogs(_ paths: [String], secrets: [(label: String, value: String)]) {
        print("secrets in logs")
        var bytes = 0
        var hits: [String: Int] = [:]
        for path in paths {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            bytes += text.utf8.count
            for secret in secrets where !secret.value.isEmpty {
                let count = text.components(separatedBy: secret.value).count - 1
                if count > 0 { hits[secret.label, default: 0] += count }
            }
        }
        let total = hits.values.reduce(0, +)
        expect(total == 0, "\(secrets.count) secrets searched in \(paths.count) logs (\(bytes / 1024) KiB): \(total) hits"
            + (hits.isEmpty ? "" : " (" + hits.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"))
    }
}
