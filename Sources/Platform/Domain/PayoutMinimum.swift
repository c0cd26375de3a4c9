import PluginKit

/// The smallest available balance a payout run pays, per currency, in minor units:
/// `PAYOUT_MINIMUM=1000` for every currency, or `1000,JPY=500,KWD=5000` with exceptions.
package struct PayoutMinimum: Sendable, Hashable {
    package static let standard = PayoutMinimum(default: 1_000, exceptions: [:])

    package let `default`: Int64
    package let exceptions: [String: Int64]

    package init(default: Int64, exceptions: [String: Int64]) {
        self.default = `default`
        self.exceptions = exceptions
    }

    /// Nil for text that is not a list of whole numbers of at least 1, each bare or after `CUR=`.
    package init?(_ text: String) {
        var fallback = Self.standard.default
        var exceptions: [String: Int64] = [:]
        for part in text.split(separator: ",").map({ $0.filter { !$0.isWhitespace } }) {
            let pieces = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard let amount = Int64(pieces.last ?? ""), amount >= 1 else { return nil }
            if pieces.count == 1 {
                fallback = amount
            } else {
                guard let currency = Currency(code: pieces[0].uppercased()) else { return nil }
                exceptions[currency.code] = amount
            }
        }
        self.init(default: fallback, exceptions: exceptions)
    }

    package func amount(for currency: String) -> Int64 { exceptions[currency] ?? self.default }
}
