/// An ISO 4217 currency with the exponent that fixes its minor unit.
public struct Currency: Hashable, Sendable, Codable, CustomStringConvertible {
    public let code: String
    /// Digits after the decimal point: 2 for EUR (cents), 0 for JPY, 3 for KWD.
    public let exponent: Int

    /// Every ISO 4217 currency with minor units (`ISO4217.swift`, generated from SIX's list).
    public static let known: [String: Currency] = Dictionary(
        uniqueKeysWithValues: iso4217.map { ($0.0, Currency(uncheckedCode: $0.0, exponent: $0.1)) })

    private init(uncheckedCode: String, exponent: Int) {
        self.code = uncheckedCode
        self.exponent = exponent
    }

    /// Only currencies whose exponent we know are accepted: guessing one would misprice every ticket.
    public init?(code: String) {
        guard let known = Currency.known[code.uppercased()] else { return nil }
        self = known
    }

    public static let eur = Currency.known["EUR"]!
    public static let usd = Currency.known["USD"]!
    public static let jpy = Currency.known["JPY"]!

    /// 10^exponent, the number of minor units in one major unit.
    public var minorUnitsPerMajor: Int64 {
        var result: Int64 = 1
        for _ in 0..<exponent { result *= 10 }
        return result
    }

    public var description: String { code }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let code = try container.decode(String.self)
        guard let currency = Currency(code: code) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "unknown currency '\(code)'; use an ISO 4217 code such as EUR")
        }
        self = currency
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }
}
