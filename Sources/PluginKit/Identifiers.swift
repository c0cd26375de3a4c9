import Synchronization

/// The kind of thing an ID names; its prefix makes IDs self-describing in logs and URLs.
public protocol IDKind: Sendable {
    static var prefix: String { get }
    /// What the ID names, for messages such as "no such event".
    static var noun: String { get }
}

/// A prefixed identifier whose text sorts by creation time: `evt_` + 10 characters of millisecond
/// timestamp + 16 characters of randomness, in lowercase Crockford base32 (a ULID).
public struct TypedID<Kind: IDKind>: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Parses text that has this kind's prefix and a well-formed body; anything else is not an ID of this kind.
    // Checked byte by byte: every stored row's IDs pass through here.
    public init?(_ text: String) {
        let bytes = text.utf8, prefix = Kind.prefix.utf8
        guard bytes.count == prefix.count + 27, bytes.starts(with: prefix) else { return nil }
        let body = bytes.dropFirst(prefix.count)
        guard body.first == UInt8(ascii: "_"), body.dropFirst().allSatisfy(Crockford.isSymbol) else { return nil }
        self.rawValue = text
    }

    init(timestamp: Timestamp, random: (UInt16, UInt64)) {
        self.rawValue = Kind.prefix + "_" + Crockford.ulid(milliseconds: timestamp.milliseconds, random: random)
    }

    /// Monotonic within this process: IDs made in the same millisecond (or after the clock stepped
    /// back) continue from the previous one, so creation order and sort order always agree.
    public static func generate(at time: Timestamp) -> TypedID {
        let (milliseconds, random) = IDSequence.next(milliseconds: time.milliseconds)
        return TypedID(timestamp: Timestamp(milliseconds: milliseconds), random: random)
    }

    public static func < (lhs: TypedID, rhs: TypedID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = TypedID(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a \(Kind.prefix)_ id")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

enum IDSequence {
    private static let last = Mutex<(milliseconds: Int64, high: UInt16, low: UInt64)>((.min, 0, 0))

    static func next(milliseconds: Int64) -> (Int64, (UInt16, UInt64)) {
        last.withLock { state in
            if milliseconds > state.milliseconds {
                var rng = SystemRandomNumberGenerator()
                // The top bit starts clear so that increments within one millisecond cannot overflow.
                state = (milliseconds, UInt16.random(in: 0...0x7FFF, using: &rng), rng.next())
            } else {
                let (low, carry) = state.low.addingReportingOverflow(1)
                state.low = low
                if carry { state.high &+= 1 }
            }
            return (state.milliseconds, (state.high, state.low))
        }
    }
}

package enum Crockford {
    package static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)
    private static let symbols: [Bool] = (0..<256).map { alphabet.contains(UInt8($0)) }

    package static func isSymbol(_ byte: UInt8) -> Bool { symbols[Int(byte)] }

    static func ulid(milliseconds: Int64, random: (UInt16, UInt64)) -> String {
        var chars = [UInt8](repeating: UInt8(ascii: "0"), count: 26)
        var time = UInt64(max(0, milliseconds)) & 0xFFFF_FFFF_FFFF
        for index in stride(from: 9, through: 0, by: -1) {
            chars[index] = alphabet[Int(time & 31)]
            time >>= 5
        }
        // 80 random bits: 16 from the first value, 64 from the second.
        var low = random.1
        var high = UInt64(random.0)
        for index in stride(from: 25, through: 10, by: -1) {
            chars[index] = alphabet[Int(low & 31)]
            low = (low >> 5) | ((high & 31) << 59)
            high >>= 5
        }
        return String(decoding: chars, as: UTF8.self)
    }
}

public enum OrderKind: IDKind { public static let prefix = "ord", noun = "order" }
public enum RefundKind: IDKind { public static let prefix = "rfd", noun = "refund" }

public typealias OrderID = TypedID<OrderKind>
public typealias RefundID = TypedID<RefundKind>
