import CZlib
import Foundation

/// The IEEE CRC-32 of a webhook's raw body (zlib's), as PayPal puts it in the signed message: an
/// unsigned decimal. From PROVIDERS.md: crc32("123456789") is 3421780262.
enum PayPalCRC32 {
    static func checksum(_ bytes: some DataProtocol) -> UInt32 {
        var crc: uLong = crc32(0, nil, 0)
        for region in bytes.regions {
            crc = region.withUnsafeBytes { raw in
                crc32(crc, raw.bindMemory(to: Bytef.self).baseAddress, uInt(raw.count))
            }
        }
        return UInt32(truncatingIfNeeded: crc)
    }
}
