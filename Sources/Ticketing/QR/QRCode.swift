import CPNG
import CQRencode
import Foundation

package enum QRCodeError: Error, Equatable, CustomStringConvertible {
    case empty
    case tooLong(bytes: Int)
    case badScale(Int)
    case encoder(String)

    package var description: String {
        switch self {
        case .empty: "there is nothing to encode"
        case let .tooLong(bytes): "\(bytes) bytes do not fit in a QR code at error correction M (at most 2,331)"
        case let .badScale(scale): "a module size of \(scale) pixels is outside 1 to 32"
        case let .encoder(message): "the QR encoder failed: \(message)"
        }
    }
}

/// QR codes as grayscale PNGs: libqrencode (error correction M, 8-bit mode) for the symbol,
/// libpng's simplified API for the image, all in memory. The image is gray with a two-entry
/// colormap (black, white), which libpng stores at 1 bit per pixel: a third of the bytes of an
/// 8-bit gray PNG and an eighth of the data to deflate.
package enum QRCode {
    /// Capacity of a version 40 symbol at error correction M in 8-bit mode.
    package static let maxBytes = 2331
    package static let quietZone = 4

    /// The symbol: its version and its modules row by row, true for dark.
    package struct Symbol: Sendable {
        package let version: Int
        package let width: Int
        package let modules: [Bool]
    }

    package static func symbol(for text: String) throws(QRCodeError) -> Symbol {
        try symbol(bytes: Array(text.utf8))
    }

    /// libqrencode encodes with mask 0; `MaskChoice` then picks the mask libqrencode would have
    /// picked, much faster than libqrencode's own scoring.
    static func symbol(bytes: [UInt8]) throws(QRCodeError) -> Symbol {
        try encoded(bytes) { input in QRcode_encodeMask(input, 0) } symbol: { code, width in
            MaskChoice(maskZeroFrame: UnsafeBufferPointer(start: code.data, count: width * width), width: width).best().modules
        }
    }

    /// The symbol as libqrencode makes it on its own, scoring the eight masks itself: the
    /// reference the tests hold `symbol(bytes:)` to, and the benchmark's comparison.
    package static func librarySymbol(for text: String) throws(QRCodeError) -> Symbol {
        try librarySymbol(bytes: Array(text.utf8))
    }

    static func librarySymbol(bytes: [UInt8]) throws(QRCodeError) -> Symbol {
        try encoded(bytes) { input in QRcode_encodeInput(input) } symbol: { code, width in
            UnsafeBufferPointer(start: code.data, count: width * width).map { $0 & 1 == 1 }
        }
    }

    private static func encoded(_ bytes: [UInt8], _ encode: (OpaquePointer) -> UnsafeMutablePointer<QRcode>?,
                                symbol modules: (QRcode, Int) -> [Bool]) throws(QRCodeError) -> Symbol {
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= maxBytes else { throw .tooLong(bytes: bytes.count) }
        guard let input = QRinput_new2(0, QR_ECLEVEL_M) else { throw .encoder(String(cString: strerror(errno))) }
        defer { QRinput_free(input) }
        let appended = bytes.withUnsafeBufferPointer { QRinput_append(input, QR_MODE_8, Int32($0.count), $0.baseAddress) }
        guard appended == 0, let code = encode(input) else {
            throw errno == ERANGE ? .tooLong(bytes: bytes.count) : .encoder(String(cString: strerror(errno)))
        }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        return Symbol(version: Int(code.pointee.version), width: width, modules: modules(code.pointee, width))
    }

    /// A PNG of `text` with `scale` pixels per module and a 4-module quiet zone.
    package static func png(for text: String, scale: Int = 4) throws(QRCodeError) -> [UInt8] {
        guard (1...32).contains(scale) else { throw .badScale(scale) }
        let symbol = try symbol(for: text)
        let side = (symbol.width + 2 * quietZone) * scale
        var pixels = [UInt8](repeating: white, count: side * side)
        pixels.withUnsafeMutableBufferPointer { buffer in
            // Each module row is drawn once as a pixel row, then copied to the scale - 1 rows below it.
            for row in 0..<symbol.width {
                let top = (row + quietZone) * scale * side
                for column in 0..<symbol.width where symbol.modules[row * symbol.width + column] {
                    let left = top + (column + quietZone) * scale
                    buffer[left..<(left + scale)].update(repeating: black)
                }
                for copy in 1..<scale {
                    buffer.baseAddress!.advanced(by: top + copy * side).update(from: buffer.baseAddress!.advanced(by: top), count: side)
                }
            }
        }
        return try encodePNG(gray: pixels, side: side)
    }

    /// Colormap indices of the two gray levels.
    private static let black: UInt8 = 0, white: UInt8 = 1
    private static let grayLevels: [UInt8] = [0, 255]

    private static func encodePNG(gray pixels: [UInt8], side: Int) throws(QRCodeError) -> [UInt8] {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(side)
        image.height = UInt32(side)
        image.format = UInt32(PNG_FORMAT_GRAY) | UInt32(PNG_FORMAT_FLAG_COLORMAP)
        image.colormap_entries = UInt32(grayLevels.count)
        image.flags = UInt32(PNG_IMAGE_FLAG_FAST)
        // Large enough for 1-bit rows in stored (uncompressed) deflate blocks; grown once if libpng asks for more.
        var capacity = ((side + 7) / 8 + 1) * side + side * side / 8_000 + 4096
        for _ in 0..<2 {
            var output = [UInt8](repeating: 0, count: capacity)
            var size = capacity
            let ok = output.withUnsafeMutableBytes { memory in
                pixels.withUnsafeBytes { source in
                    grayLevels.withUnsafeBytes { colormap in
                        png_image_write_to_memory(&image, memory.baseAddress, &size, 0, source.baseAddress, Int32(side), colormap.baseAddress)
                    }
                }
            }
            if ok != 0 {
                output.removeSubrange(size...)
                return output
            }
            let message = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            png_image_free(&image)
            guard size > capacity else { throw .encoder(message) }
            capacity = size
        }
        throw .encoder("PNG buffer size")
    }
}
