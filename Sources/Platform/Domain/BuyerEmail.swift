import PluginKit

/// How buyer addresses are compared: case-insensitive in ASCII, as SQL's `lower()` is on both engines.
enum BuyerEmail {
    static func normalized(_ email: String) -> String {
        String(String.UnicodeScalarView(email.unicodeScalars.map { scalar in
            ("A"..."Z").contains(scalar) ? Unicode.Scalar(scalar.value + 32)! : scalar
        }))
    }
}
