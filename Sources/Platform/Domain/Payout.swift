import PluginKit

package enum PayoutStatus: String, Sendable, Codable, CaseIterable {
    /// Out of the organizer's available balance, in transit; the provider call is due or under way.
    case sending
    /// The provider took it; its confirmation is awaited.
    case sent
    /// The provider confirmed it reached the organizer.
    case settled
    /// It did not reach the organizer; the money went back to available.
    case failed
    /// It reached the organizer and came back; the money went back to available.
    case returned
}

/// One payout to one organizer in one currency.
package struct Payout: Sendable, Hashable {
    package let id: PayoutID
    package let organizerID: OrganizerID
    /// More than zero.
    package let amount: Money
    package let provider: String
    package let account: String
    package var status: PayoutStatus
    package var providerReference: String?
    package var failureReason: String?
    package var attempts: Int
    package var lastError: String?
    /// The ledger entries up to this booking time are in the balance it pays.
    package let coversUntil: Timestamp
    package let createdAt: Timestamp
    package var sentAt: Timestamp?
    package var settledAt: Timestamp?
    /// The provider batch it was first sent in; nil until then.
    package var batchID: String? = nil
}

/// Where an organizer's payouts go.
package struct PayoutMethod: Sendable, Hashable {
    package let provider: String
    package let account: String
    /// When it replaced an earlier method; nil for an organizer's first.
    package let replacedAt: Timestamp?
    package let approvedAt: Timestamp?

    /// A replaced method is trusted 24 hours after the change, or once an admin approved it: the
    /// usual defence against a taken-over account redirecting the money.
    package static let replacementWait: Int64 = 24 * 3600 * 1000

    package func awaitsApproval(at now: Timestamp) -> Bool {
        guard let replacedAt, approvedAt == nil else { return false }
        return now.milliseconds < replacedAt.milliseconds + Self.replacementWait
    }
}
