import Foundation
import Platform

/// Payout steps for tests of payouts and the pages that show them.
extension CheckoutHarness {
    /// Lets every hold end and releases what is due.
    package func releaseAll() async throws {
        clock.advance(minutes: 400 * 24 * 60)
        try await platform.holdRelease.run()
    }

    package func setPayoutMethod(_ account: String, key: String? = nil, organizer: String? = nil) async throws -> APITestClient.Reply {
        var path = organizer ?? ""
        if organizer == nil { path = try await organizerID().rawValue }
        let organizer = path
        return try await client.patch("/api/v1/organizers/\(organizer)", key: key ?? organizerKey,
                                      json: #"{"payout":{"provider":"test","account":"\#(account)"}}"#)
    }

    package func payoutRun(_ json: String = "{}") async throws -> APITestClient.Reply {
        try await client.post("/api/v1/admin/payouts", key: adminKey, json: json)
    }

    package func payouts() async throws -> [Payout] {
        try await database.read { sql in try await PayoutRepository(sql).list(organizer: nil, before: nil, limit: 100) }
    }

    /// Delivers the provider's settlement event of `type` for a payout.
    package func deliverPayout(_ type: String, _ payout: PayoutID) async throws {
        _ = try await deliver(id: "\(type)-\(payout)", type: type, order: payout.rawValue)
        await drain()
    }
}
