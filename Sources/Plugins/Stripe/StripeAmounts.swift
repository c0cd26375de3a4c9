import PluginKit

/// Stripe's amount units where they are not ISO 4217's minor units, and the amounts Stripe refuses.
/// Source: Stripe's "Supported currencies" (docs.stripe.com/currencies): zero-decimal currencies,
/// three-decimal currencies (the last digit must be 0), the special cases (ISK is two-decimal in
/// Stripe's API though ISO gives it none, and takes whole krónur only: Stripe's support note
/// "Deprecation of fractional ISK charges and refunds", 2023), and the minimum charge amounts.
enum StripeAmounts {
    /// Stripe's zero-decimal currencies: an amount is whole units, whatever ISO 4217 says (MGA has 2 there).
    static let zeroDecimal: Set<String> = ["BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "VND", "VUV",
                                           "XAF", "XOF", "XPF"]
    /// Two-decimal in Stripe's API although ISO 4217 gives them no minor unit (Stripe's special
    /// cases: "to charge 5 UGX, provide an amount value of 500"); amounts in whole units only.
    static let twoDecimalWholeUnits: Set<String> = ["ISK", "UGX"]
    /// Three-decimal currencies whose amounts must end in 0 at Stripe.
    static let threeDecimal: Set<String> = ["BHD", "JOD", "KWD", "OMR", "TND"]
    /// The smallest charge Stripe takes, in ISO minor units (Stripe's table of minimum charge amounts).
    static let minimumCharge: [String: Int64] = [
        "USD": 50, "EUR": 50, "GBP": 30, "AUD": 50, "CAD": 50, "CHF": 50, "NZD": 50, "SGD": 50, "BRL": 50, "INR": 50, "AED": 200,
        "BGN": 100, "CZK": 1_500, "DKK": 250, "HKD": 400, "HUF": 17_500, "JPY": 50, "MXN": 1_000, "MYR": 200, "NOK": 300, "PLN": 200,
        "RON": 200, "SEK": 300, "THB": 1_000,
    ]

    /// Stripe's units per one of ours: 100 for ISK, 1/100 for MGA, else 1 (as a ratio).
    static func scale(_ currency: Currency) -> (multiply: Int64, divide: Int64) {
        if twoDecimalWholeUnits.contains(currency.code) { return (100 / currency.minorUnitsPerMajor, 1) }
        if zeroDecimal.contains(currency.code) { return (1, currency.minorUnitsPerMajor) }
        return (1, 1)
    }

    /// Why Stripe cannot express `amount` in its units, or nil.
    static func unrepresentable(_ amount: Money) -> String? {
        let (_, divide) = scale(amount.currency)
        if amount.minorUnits % divide != 0 {
            return "Stripe takes \(amount.currency.code) in whole units only, not \(amount)"
        }
        if threeDecimal.contains(amount.currency.code), amount.minorUnits % 10 != 0 {
            return "Stripe takes \(amount.currency.code) amounts whose last digit is 0, not \(amount)"
        }
        return nil
    }

    /// The most of `amount` Stripe can send: whole units where it has no others, a last digit of 0
    /// for three-decimal currencies.
    static func payable(_ amount: Money) -> Money {
        var step = scale(amount.currency).divide
        if threeDecimal.contains(amount.currency.code) { step = max(step, 10) }
        return Money(minorUnits: amount.minorUnits / step * step, currency: amount.currency)
    }

    /// Why Stripe cannot take a checkout of these unit prices and total as one charge, or nil.
    static func refusal(of amount: Money, unitPrices: [Money] = []) -> String? {
        for price in unitPrices + [amount] {
            if let reason = unrepresentable(price) { return reason }
        }
        if let minimum = minimumCharge[amount.currency.code], amount.minorUnits < minimum {
            return "Stripe's smallest charge in \(amount.currency.code) is \(Money(minorUnits: minimum, currency: amount.currency)), not \(amount)"
        }
        return nil
    }

    /// `amount` in Stripe's units.
    /// - Throws: `ProviderError.invalidRequest` for an amount Stripe's units cannot hold (a fraction of an MGA).
    static func stripeUnits(_ amount: Money) throws -> Int64 {
        let (multiply, divide) = scale(amount.currency)
        guard amount.minorUnits % divide == 0 else {
            throw ProviderError.invalidRequest("Stripe takes \(amount.currency.code) in whole units only, not \(amount)")
        }
        let (scaled, overflow) = (amount.minorUnits / divide).multipliedReportingOverflow(by: multiply)
        guard !overflow else { throw ProviderError.invalidRequest("\(amount) is too large for Stripe") }
        return scaled
    }

    /// An amount Stripe reports (`amount_total`, `amount_refunded`, a dispute's `amount`) in our minor units.
    /// - Throws: `WebhookPayloadError` for an unknown currency, or an ISK amount with a fraction of a króna.
    static func minorUnits(_ stripeAmount: Int64, currency code: String) throws -> Money {
        guard let currency = Currency(code: code) else { throw WebhookPayloadError("Stripe reported an unknown currency \(code)") }
        let (multiply, divide) = scale(currency)
        guard stripeAmount % multiply == 0 else {
            throw WebhookPayloadError("Stripe reported \(stripeAmount) \(code), a fraction of the smallest unit the platform keeps")
        }
        let (value, overflow) = (stripeAmount / multiply).multipliedReportingOverflow(by: divide)
        guard !overflow else { throw WebhookPayloadError("Stripe reported an amount too large: \(stripeAmount) \(code)") }
        return Money(minorUnits: value, currency: currency)
    }
}
