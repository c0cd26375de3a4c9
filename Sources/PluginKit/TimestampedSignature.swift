import Crypto
import Foundation

/// The `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">` webhook signature scheme (Stripe's, and
/// the Sandbox's). Several `v1` entries may appear while a secret rotates; other schemes are ignored.
public enum TimestampedSignature {
    public static func sign(body: some DataProtocol, secret: String, timestamp: Int64) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return mac.hexString
    }

    public static func header(body: some DataProtocol, secret: String, timestamp: Int64) -> String {
        "t=\(timestamp),v1=\(sign(body: body, secret: secret, timestamp: timestamp))"
    }

    /// Accepts when any `v1` matches any of the secrets (compared in constant time) and the
    /// timestamp is within `tolerance` seconds of `now`.
    public static func verify(header: String, body: some DataProtocol, secrets: [String], now: Timestamp,
                              tolerance: Int64 = 300) throws(WebhookRejected) {
        var timestamp: Int64?
        var signatures: [Data] = []
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            switch pair[0] {
            case "t": timestamp = Int64(pair[1])
            case "v1": if let bytes = Data(hex: String(pair[1])) { signatures.append(bytes) }
            default: continue
            }
        }
        guard let timestamp else { throw WebhookRejected("signature header has no timestamp") }
        guard !signatures.isEmpty else { throw WebhookRejected("signature header has no v1 signature") }
        guard abs(now.milliseconds / 1000 - timestamp) <= tolerance else { throw WebhookRejected("signature timestamp is outside the tolerance") }
        var message = Data("\(timestamp).".utf8)
        message.append(contentsOf: body)
        for secret in secrets where !secret.isEmpty {
            let key = SymmetricKey(data: Data(secret.utf8))
            for signature in signatures where HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: message, using: key) {
                return
            }
        }
        throw WebhookRejected("no signature matches")
    }
}

extension Data {
    /// Lowercase or uppercase hex; nil for anything else.
    public init?(hex: String) {
        guard hex.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.count / 2)
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.init(bytes)
    }
}
