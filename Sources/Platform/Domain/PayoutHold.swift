import PluginKit

/// When an organizer's net from an order becomes available for payouts: `days` after its event
/// has ended (or started, when it has no end), or `days` after the payment (rolling payouts).
package struct PayoutHold: Hashable, Sendable {
    package enum From: String, Sendable, CaseIterable {
        case eventEnd = "event_end"
        case payment
    }

    package static let maxDays = 3650
    package static let standard = PayoutHold(from: .eventEnd, days: 7)

    package let from: From
    package let days: Int

    package init(from: From, days: Int) {
        self.from = from
        self.days = days
    }

    /// - Throws: `ValidationFailure` on `payout_hold.days` outside 0 to `maxDays`.
    package func validate() throws(ValidationFailure) {
        guard (0...Self.maxDays).contains(days) else {
            throw ValidationFailure(field: "payout_hold.days", "must be a whole number of days from 0 to \(Self.maxDays)")
        }
    }
}
