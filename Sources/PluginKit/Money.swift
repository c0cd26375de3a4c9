/// An amount in integer minor units of one currency. Arithmetic refuses to overflow or mix currencies.
public struct Money: Hashable, Sendable, CustomStringConvertible {
    public let minorUnits: Int64
    public let currency: Currency

    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    public static func zero(_ currency: Currency) -> Money { Money(minorUnits: 0, currency: currency) }

    public func adding(_ other: Money) throws(MoneyError) -> Money {
        guard other.currency == currency else { throw .currencyMismatch(currency, other.currency) }
        let (sum, overflow) = minorUnits.addingReportingOverflow(other.minorUnits)
        guard !overflow else { throw .overflow }
        return Money(minorUnits: sum, currency: currency)
    }

    public func subtracting(_ other: Money) throws(MoneyError) -> Money {
        guard other.currency == currency else { throw .currencyMismatch(currency, other.currency) }
        let (difference, overflow) = minorUnits.subtractingReportingOverflow(other.minorUnits)
        guard !overflow else { throw .overflow }
        return Money(minorUnits: difference, currency: currency)
    }

    public func multiplied(by factor: Int64) throws(MoneyError) -> Money {
        let (product, overflow) = minorUnits.multipliedReportingOverflow(by: factor)
        guard !overflow else { throw .overflow }
        return Money(minorUnits: product, currency: currency)
    }

    /// The amount as a decimal string in major units ("12.50", "1200", "-0.05"), as provider APIs want it.
    public var decimalString: String {
        let exponent = currency.exponent
        let sign = minorUnits < 0 ? "-" : ""
        let magnitude = minorUnits.magnitude
        guard exponent > 0 else { return sign + String(magnitude) }
        let divisor = UInt64(currency.minorUnitsPerMajor)
        let fraction = String(magnitude % divisor)
        let padded = String(repeating: "0", count: exponent - fraction.count) + fraction
        return "\(sign)\(magnitude / divisor).\(padded)"
    }

    /// Reads a decimal string in major units as provider APIs write it ("12.50", "1200"): digits,
    /// and at most the currency's exponent of them after a point. Nil for anything else
    /// (a sign, an exponent, more decimals than the currency has, an amount beyond Int64).
    public init?(decimal text: String, currency: Currency) {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0], fraction = parts.count == 2 ? parts[1] : ""
        guard !whole.isEmpty, whole.count <= 18, whole.allSatisfy({ $0.isASCII && $0.isNumber }),
              fraction.count <= currency.exponent, fraction.allSatisfy({ $0.isASCII && $0.isNumber }),
              parts.count == 1 || !fraction.isEmpty,
              let major = Int64(whole), let minor = Int64(fraction + String(repeating: "0", count: currency.exponent - fraction.count)) else {
            return nil
        }
        let (scaled, overflow) = major.multipliedReportingOverflow(by: currency.minorUnitsPerMajor)
        guard !overflow, case let (sum, false) = scaled.addingReportingOverflow(minor) else { return nil }
        self.init(minorUnits: sum, currency: currency)
    }

    public var description: String { "\(decimalString) \(currency.code)" }
}

public enum MoneyError: Error, Equatable, Sendable, CustomStringConvertible {
    case overflow
    case currencyMismatch(Currency, Currency)
    case negative

    public var description: String {
        switch self {
        case .overflow: "amount is too large"
        case let .currencyMismatch(a, b): "cannot combine \(a.code) with \(b.code)"
        case .negative: "amount must not be negative"
        }
    }
}
