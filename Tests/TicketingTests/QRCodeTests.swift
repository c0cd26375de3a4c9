import Foundation
import Testing
@testable import Ticketing

@Suite struct QRCodeTests {
    /// The mask is scored in Swift; the symbol must be exactly the one libqrencode makes scoring
    /// the masks itself, for every version and for bytes of any value.
    /// The mask a symbol's format information names (error correction M).
    static func mask(of symbol: QRCode.Symbol) -> Int? {
        var format: UInt32 = 0
        for module in MaskChoice.Layout.formatModules(width: symbol.width) where symbol.modules[module.y * symbol.width + module.x] {
            format |= 1 << UInt32(module.bit)
        }
        return MaskChoice.Layout.formatM.firstIndex(of: format)
    }

    @Test func theSymbolIsTheOneLibqrencodeMakesAlone() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt8 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        var lengths = Array(1...80) + Array(stride(from: 81, through: 600, by: 13)) + Array(stride(from: 601, through: 2_331, by: 41)) + [2_331]
        lengths += [326, 326, 326]
        var versions = Set<Int>(), masks = Set<Int>()
        for length in lengths {
            let bytes = (0..<length).map { _ in next() }
            let ours = try QRCode.symbol(bytes: bytes)
            let library = try QRCode.librarySymbol(bytes: bytes)
            #expect(ours.version == library.version && ours.width == library.width)
            #expect(ours.modules == library.modules, "\(length) bytes")
            versions.insert(ours.version)
            masks.insert(try #require(Self.mask(of: library)))
        }
        #expect(versions.count == 40, "every version was compared")
        #expect(masks.count == 8, "every mask was chosen at least once: \(masks.sorted())")
    }

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    @Test func oddInputsGiveADecodableCodeOrAClearError() async throws {
        let long = String(repeating: "0123456789abcdefghij", count: 100)
        let inputs = [
            "x",
            long,
            "Zürich Großer Saal – 東京ドーム 🎟️",
            String(repeating: "é", count: 1_000),
            "line\nbreak\ttab \"quoted\"",
        ]
        var pngs: [[UInt8]] = []
        for input in inputs {
            let png = try QRCode.png(for: input, scale: 3)
            #expect(Array(png.prefix(8)) == Self.pngSignature)
            pngs.append(png)
        }
        #expect(try QRCode.symbol(for: long).version == 38, "2,000 bytes at ECC M need version 38")
        if let decoded = try await QRDecoder.decode(pngs) {
            #expect(decoded == inputs.map { [$0] })
        }

        #expect(throws: QRCodeError.empty) { try QRCode.png(for: "") }
        #expect(throws: QRCodeError.tooLong(bytes: 2_332)) { try QRCode.png(for: String(repeating: "a", count: 2_332)) }
        #expect(throws: QRCodeError.badScale(0)) { try QRCode.png(for: "a", scale: 0) }
        #expect(throws: QRCodeError.badScale(33)) { try QRCode.png(for: "a", scale: 33) }
    }

    @Test func theImageHasTheQuietZoneAndModuleSize() async throws {
        let symbol = try QRCode.symbol(for: "hello")
        #expect(symbol.version == 1 && symbol.width == 21)
        let png = try QRCode.png(for: "hello", scale: 5)
        // IHDR: width and height, big-endian, at bytes 16..<24; 1 bit per pixel, colormapped.
        let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
        let height = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == (21 + 8) * 5 && height == width)
        #expect(png[24] == 1 && png[25] == 3)
        // The colormap holds exactly two entries, black and white.
        let plte = try #require(png.indices.dropLast(4).first { png[$0..<($0 + 4)].elementsEqual("PLTE".utf8) })
        #expect(png[(plte - 4)..<plte].reduce(0) { $0 << 8 | Int($1) } == 6)
        #expect(Array(png[(plte + 4)..<(plte + 10)]) == [0, 0, 0, 255, 255, 255])
        if let decoded = try await QRDecoder.decode([png]) { #expect(decoded == [["hello"]]) }
    }
}
