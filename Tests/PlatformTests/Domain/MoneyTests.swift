import Platform
import Testing

@Suite struct MoneyTests {
    @Test func currenciesCarryTheirExponent() throws {
        let expected = ["EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "JPY": 0, "SEK": 2, "PLN": 2, "KWD": 3]
        for (code, exponent) in expected {
            let currency = try #require(Currency(code: code))
            #expect(currency.exponent == exponent, "\(code)")
        }
        #expect(Currency(code: "eur") == Currency.eur)
        #expect(Currency(code: "XXX") == nil)
        #expect(Currency(code: "") == nil)
    }

    @Test(arguments: [
        (Int64(1250), "EUR", "12.50"), (5, "EUR", "0.05"), (-5, "EUR", "-0.05"), (0, "EUR", "0.00"),
        (1200, "JPY", "1200"), (1, "KWD", "0.001"), (Int64.max, "EUR", "92233720368547758.07"), (Int64.min, "EUR", "-92233720368547758.08"),
    ])
    func decimalStrings(minor: Int64, code: String, text: String) throws {
        #expect(Money(minorUnits: minor, currency: try #require(Currency(code: code))).decimalString == text)
    }

    @Test func arithmeticRefusesOverflowAndMixedCurrencies() throws {
        let big = Money(minorUnits: .max, currency: .eur)
        #expect(throws: MoneyError.overflow) { try big.adding(Money(minorUnits: 1, currency: .eur)) }
        #expect(throws: MoneyError.overflow) { try Money(minorUnits: .min, currency: .eur).subtracting(Money(minorUnits: 1, currency: .eur)) }
        #expect(throws: MoneyError.overflow) { try Money(minorUnits: Int64.max / 2 + 1, currency: .eur).multiplied(by: 2) }
        #expect(throws: MoneyError.currencyMismatch(.eur, .usd)) { try Money.zero(.eur).adding(Money(minorUnits: 1, currency: .usd)) }
        #expect(try Money(minorUnits: 2_900, currency: .eur).multiplied(by: 3).minorUnits == 8_700)
    }
}

@Suite struct FeePolicyTests {
    func split(_ gross: Int64, bps: Int = 500, _ code: String = "EUR") throws -> FeePolicy.Split {
        try #require(FeePolicy(basisPoints: bps)).split(Money(minorUnits: gross, currency: try #require(Currency(code: code))))
    }

    @Test func defaultIsFivePercent() {
        #expect(FeePolicy.standard.basisPoints == 500)
        #expect(FeePolicy.forOrganizer(feeBasisPoints: nil) == .standard)
        #expect(FeePolicy.forOrganizer(feeBasisPoints: 250).basisPoints == 250)
    }

    /// gross x 500 / 10000 = gross / 20: exact halves (x.5) round up, everything else to nearest.
    @Test(arguments: [
        (Int64(0), Int64(0)), (1, 0), (9, 0), (10, 1), (11, 1), (29, 1), (30, 2), (2_000, 100), (2_010, 101), (2_009, 100),
    ])
    func roundsHalfUp(gross: Int64, fee: Int64) throws {
        let result = try split(gross)
        #expect(result.fee.minorUnits == fee)
        #expect(result.net.minorUnits == gross - fee)
    }

    @Test func sameRuleAtEveryExponent() throws {
        // 1 minor unit at 5000 bps is exactly half a unit: rounds up, whatever the currency.
        for code in ["JPY", "EUR", "KWD"] {
            #expect(try split(1, bps: 5_000, code).fee.minorUnits == 1, "\(code)")
            #expect(try split(3, bps: 5_000, code).fee.minorUnits == 2, "\(code)")
            #expect(try split(1_999, bps: 500, code).fee.minorUnits == 100, "\(code)")
        }
        #expect(try split(150, bps: 333, "JPY").fee.minorUnits == 5)   // 4.995 -> 5
        #expect(try split(150, bps: 330, "JPY").fee.minorUnits == 5)   // 4.95 -> 5
        #expect(try split(150, bps: 320, "JPY").fee.minorUnits == 5)   // 4.8 -> 5
        #expect(try split(150, bps: 300, "JPY").fee.minorUnits == 5)   // 4.5 -> 5
        #expect(try split(150, bps: 290, "JPY").fee.minorUnits == 4)   // 4.35 -> 4
    }

    @Test func hugeAmountsDoNotOverflow() throws {
        let result = try split(.max, bps: 10_000)
        #expect(result.fee.minorUnits == .max)
        #expect(result.net.minorUnits == 0)
        let five = try split(.max)
        #expect(five.fee.minorUnits + five.net.minorUnits == .max)
        #expect(five.fee.minorUnits == 461_168_601_842_738_790)
    }

    @Test func zeroAndFullFees() throws {
        #expect(try split(12_345, bps: 0).fee.minorUnits == 0)
        #expect(try split(12_345, bps: 10_000).net.minorUnits == 0)
    }

    @Test func rejectsBadRatesAndNegativeGross() throws {
        #expect(FeePolicy(basisPoints: -1) == nil)
        #expect(FeePolicy(basisPoints: 10_001) == nil)
        #expect(throws: MoneyError.negative) { try split(-1) }
    }
}
