import Foundation
import NIOCore
import Platform
import PlatformTesting
import Synchronization

/// The keys and ids a campaign made through the API before its flows start.
struct CampaignSetup: Sendable {
    let adminKey: String
    let organizerID: String
    let organizerKey: String
    let doorKey: String
    let eventID: String
    let variantID: String
    let quota: Int
    static let price = 2_500
    static let eventTitle = "Campaign Night"

    /// Every secret the campaign used, for the search of the servers' logs.
    var secrets: [(label: String, value: String)] { [("admin key", adminKey), ("organizer key", organizerKey), ("door key", doorKey)] }

    /// Makes the organizer, its live event and variant, its Stripe payout method with no hold, and
    /// a door device, all through the API as an operator would.
    /// - Throws: `CampaignFailure` naming the call that was refused.
    static func make(api: CampaignAPI, adminKey: String, quota: Int) async throws -> CampaignSetup {
        func expect(_ answer: CampaignAPI.Answer, _ statuses: Set<UInt>, _ what: String) throws -> [String: Any] {
            guard statuses.contains(answer.status) else { throw CampaignFailure("\(what): \(answer.status) \(answer.text)") }
            return answer.json
        }
        let slug = "campaign-" + String(UUID().uuidString.prefix(8)).lowercased()
        let made = try expect(await api.send(.POST, "/api/v1/organizers", json: ["name": "Campaign", "slug": slug, "email": "ops@\(slug).example"],
                                             bearer: adminKey), [201], "organizer")
        guard let organizer = (made["organizer"] as? [String: Any])?["id"] as? String,
              let organizerKey = (made["api_key"] as? [String: Any])?["key"] as? String else { throw CampaignFailure("organizer: \(made)") }
        let startsAt = ISO8601DateFormatter().string(from: Date().addingTimeInterval(30 * 86_400))
        let event = try expect(await api.send(.POST, "/api/v1/events", json: ["title": eventTitle, "starts_at": startsAt, "timezone": "UTC",
                                                                                "currency": "EUR"], bearer: organizerKey), [201], "event")
        guard let eventID = event["id"] as? String else { throw CampaignFailure("event: \(event)") }
        let variant = try expect(await api.send(.POST, "/api/v1/events/\(eventID)/variants",
                                                json: ["name": "Standing", "price": price, "quota": quota, "status": "live"],
                                                bearer: organizerKey), [201], "variant")
        guard let variantID = variant["id"] as? String else { throw CampaignFailure("variant: \(variant)") }
        _ = try expect(await api.send(.PATCH, "/api/v1/events/\(eventID)", json: ["status": "live"], bearer: organizerKey), [200], "going live")
        _ = try expect(await api.send(.PATCH, "/api/v1/organizers/\(organizer)", json: ["payout_hold": ["from": "payment", "days": 0]],
                                      bearer: adminKey), [200], "payout hold")
        _ = try expect(await api.send(.PATCH, "/api/v1/organizers/\(organizer)",
                                      json: ["payout": ["provider": "stripe", "account": "acct_1Nv0FGQ9RKHgCVdK"]],
                                      bearer: organizerKey), [200], "payout method")
        _ = try expect(await api.send(.POST, "/api/v1/admin/organizers/\(organizer)/payout-method/approval", bearer: adminKey), [204, 404],
                       "payout method approval")
        let device = try expect(await api.send(.POST, "/api/v1/events/\(eventID)/checkin-devices", json: ["name": "Door 1"],
                                               bearer: organizerKey), [201], "door device")
        guard let doorKey = device["key"] as? String else { throw CampaignFailure("door device: \(device)") }
        return CampaignSetup(adminKey: adminKey, organizerID: organizer, organizerKey: organizerKey, doorKey: doorKey, eventID: eventID,
                             variantID: variantID, quota: quota)
    }
}

/// How one flow ended, from the buyer's side.
enum FlowOutcome: Sendable {
    /// Paid, with its tickets; `admitted` when its first ticket's scan admitted, `refunded` when the flow refunded it.
    case paid(order: String, email: String, quantity: Int, admitted: Bool, refunded: Bool)
    case soldOut
    case failed(String)
}

/// One buyer's way through the platform: order, payment by Stripe's webhook (30% delivered twice,
/// the copy late and out of order), tickets, a scan at the door, and for every tenth a refund.
final class CampaignFlows: Sendable {
    let api: CampaignAPI
    let stripe: FakeStripe
    let setup: CampaignSetup
    let late = Mutex<[Task<Void, Never>]>([])
    let duplicates = Counter()
    let deliveries = Counter()
    let tokens = Mutex<[String]>([])

    init(api: CampaignAPI, stripe: FakeStripe, setup: CampaignSetup) {
        self.api = api
        self.stripe = stripe
        self.setup = setup
    }

    func run(_ index: Int) async -> FlowOutcome {
        do { return try await flow(index) } catch { return .failed("flow \(index): \(error)") }
    }

    private func flow(_ index: Int) async throws -> FlowOutcome {
        let email = "buyer-\(index)@campaign.example"
        let quantity = 1 + index % 2
        var placed = try await place(index, email: email, quantity: quantity)
        // 409 is also "the first request with this key is still running": it may be one a killed server had begun.
        for _ in 0..<600 where placed.status == 409 && !placed.text.contains(" left") {
            try await Task.sleep(for: .milliseconds(200))
            placed = try await place(index, email: email, quantity: quantity)
        }
        if placed.status == 409 && placed.text.contains(" left") { return .soldOut }
        guard placed.status == 201, let order = (placed.json["order"] as? [String: Any])?["id"] as? String,
              let token = placed.json["access_token"] as? String, let url = placed.json["checkout_url"] as? String,
              let session = url.split(separator: "/").last.map(String.init) else {
            return .failed("flow \(index): placing answered \(placed.status) \(placed.text.prefix(300))")
        }
        tokens.withLock { $0.append(token) }
        let payment = stripe.event(id: "evt_pay_\(order)", type: "checkout.session.completed",
                                   object: stripe.sessionObject(session, paymentStatus: "paid"))
        try await deliver(payment.payload, payment.header)
        if Int.random(in: 0..<10) < 3 { redeliverLate(payment.payload, payment.header) }

        let status = try await awaitStatus(order, token: token) { $0 != "pending" }
        guard status == "paid" else { return .failed("flow \(index): \(order) is \(status), not paid") }
        let tickets = try await api.send(.GET, "/api/v1/public/orders/\(order)/tickets?token=\(token)")
        let found = (tickets.json["data"] as? [[String: Any]]) ?? []
        guard found.count == quantity, let first = found.first?["token"] as? String else {
            return .failed("flow \(index): \(order) has \(found.count) tickets, not \(quantity)")
        }
        let scan = try await api.send(.POST, "/api/v1/checkin/scan", json: ["token": first], bearer: setup.doorKey)
        let result = scan.json["result"] as? String
        // A scan the server admitted just before it was killed answers "already admitted" when sent again.
        let admitted = scan.status == 200 && (result == "admitted" || result == "already_admitted")

        var refunded = false
        if index % 10 == 3 {
            let asked = try await api.send(.POST, "/api/v1/orders/\(order)/refunds", json: ["reason": "campaign"], bearer: setup.organizerKey)
            // Sent again after a kill, the refund asked before finds nothing left: 422 on `amount`.
            guard asked.status == 202 || (asked.status == 422 && asked.text.contains("nothing is left")) else {
                return .failed("flow \(index): refunding \(order) answered \(asked.status) \(asked.text.prefix(300))")
            }
            let total = quantity * CampaignSetup.price
            let charge = #"{"id":"ch_\#(order)","object":"charge","amount":\#(total),"amount_refunded":\#(total),"refunded":true,"currency":"eur","payment_intent":"pi_for_\#(session)"}"#
            let refund = stripe.event(id: "evt_refund_\(order)", type: "charge.refunded", object: charge)
            try await deliver(refund.payload, refund.header)
            let after = try await awaitStatus(order, token: token) { $0 == "refunded" }
            guard after == "refunded" else { return .failed("flow \(index): \(order) is \(after) after its refund") }
            refunded = true
        }
        return .paid(order: order, email: email, quantity: quantity, admitted: admitted, refunded: refunded)
    }

    private func place(_ index: Int, email: String, quantity: Int) async throws -> CampaignAPI.Answer {
        try await api.send(.POST, "/api/v1/public/events/\(setup.eventID)/orders",
                           json: ["lines": [["variant_id": setup.variantID, "quantity": quantity]], "email": email, "provider": "stripe"],
                           headers: ["Idempotency-Key": "campaign-\(setup.eventID)-\(index)"])
    }

    /// Posts a signed event until the platform answers 2xx, as Stripe retries a failed delivery.
    func deliver(_ payload: String, _ header: String) async throws {
        for _ in 0..<600 {
            _ = deliveries.take()
            let answer = try await api.send(.POST, "/webhooks/stripe", raw: (Data(payload.utf8), ["Stripe-Signature": header, "Content-Type": "application/json"]))
            if (200..<300).contains(answer.status) { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw CampaignFailure("a webhook was refused for two minutes")
    }

    /// The same delivery again, 0.2 to 3 s later: after the order's later events, often.
    private func redeliverLate(_ payload: String, _ header: String) {
        _ = duplicates.take()
        let task = Task {
            try? await Task.sleep(for: .milliseconds(Int.random(in: 200...3_000)))
            try? await deliver(payload, header)
        }
        late.withLock { $0.append(task) }
    }

    /// Waits until the order's status satisfies `done` (two minutes at most); returns the last status seen.
    private func awaitStatus(_ order: String, token: String, _ done: (String) -> Bool) async throws -> String {
        var status = ""
        for _ in 0..<1_200 {
            let answer = try await api.send(.GET, "/api/v1/public/orders/\(order)?token=\(token)")
            status = answer.json["status"] as? String ?? ((answer.json["order"] as? [String: Any])?["status"] as? String ?? "")
            if done(status) { return status }
            try await Task.sleep(for: .milliseconds(100))
        }
        return status
    }

    /// Waits for every late redelivery.
    func settle() async {
        for task in late.withLock({ $0 }) { await task.value }
    }
}
