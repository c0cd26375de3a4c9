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
}
