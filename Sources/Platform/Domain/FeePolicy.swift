import PluginKit

/// The platform's cut of a paid order, in basis points of the gross amount.
package struct FeePolicy: Hashable, Sendable {
    static let defaultBasisPoints = 500
    package static let standard = FeePolicy(uncheckedBasisPoints: defaultBasisPoints)

    package let basisPoints: Int

    private init(uncheckedBasisPoints: Int) { self.basisPoints = uncheckedBasisPoints }

    /// 0...10000 basis points; anything else is not a fee.
    package init?(basisPoints: Int) {
        guard (0...10_000).contains(basisPoints) else { return nil }
        self.basisPoints = basisPoints
    }

    /// An organizer's override, or the platform default when it has none.
    package static func forOrganizer(feeBasisPoints: Int?) -> FeePolicy {
        feeBasisPoints.flatMap(FeePolicy.init(basisPoints:)) ?? .standard
    }

    package struct Split: Hashable, Sendable {
        package let gross: Money
        package let fee: Money
        package let net: Money

        package init(gross: Money, fee: Money, net: Money) {
            self.gross = gross
            self.fee = fee
            self.net = net
        }
    }

    /// fee = gross x bps / 10000 rounded half up, computed in 128-bit integers so no gross overflows;
    /// net = gross - fee, so fee + net always equals gross to the minor unit.
    package func split(_ gross: Money) throws(MoneyError) -> Split {
        guard gross.minorUnits >= 0 else { throw .negative }
        let scaled = Int128(gross.minorUnits) * Int128(basisPoints) + 5_000
        let fee = Int64(scaled / 10_000)
        return Split(
            gross: gross,
            fee: Money(minorUnits: fee, currency: gross.currency),
            net: Money(minorUnits: gross.minorUnits - fee, currency: gross.currency))
    }

    /// The fee and net parts of refunding a paid `split` from `before` to `after` (minor units of
    /// the gross refunded in all). Both are apportioned on the cumulative amount by largest
    /// remainder (a tie goes to the net), so each refund's parts add up to it, no part is ever
    /// negative, and a full refund returns exactly the fee and exactly the net.
    package static func refunded(_ split: Split, from before: Int64, to after: Int64) -> (fee: Int64, net: Int64) {
        let (feeBefore, feeAfter) = (cumulativeFee(split, before), cumulativeFee(split, after))
        return (feeAfter - feeBefore, (after - before) - (feeAfter - feeBefore))
    }

    /// The fee part of refunding `refunded` of the gross in all.
    static func cumulativeFee(_ split: Split, _ refunded: Int64) -> Int64 {
        let gross = Int128(split.gross.minorUnits)
        guard gross > 0 else { return 0 }
        let refunded = Int128(min(max(refunded, 0), split.gross.minorUnits))
        let (fee, feeRemainder) = (refunded * Int128(split.fee.minorUnits)).quotientAndRemainder(dividingBy: gross)
        let (net, netRemainder) = (refunded * Int128(split.net.minorUnits)).quotientAndRemainder(dividingBy: gross)
        // One minor unit is left over when both parts have a remainder; it goes to the larger one.
        let leftover = refunded - fee - net
        return Int64(fee + (leftover > 0 && feeRemainder > netRemainder ? leftover : 0))
    }
}

