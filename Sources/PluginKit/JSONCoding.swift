import Foundation

/// One JSON configuration for the whole platform: snake_case keys, stable key order.
public enum JSONCoding {
    /// Reads what `encoder` writes (and snake_case JSON from elsewhere, such as provider events).
    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
