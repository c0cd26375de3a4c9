@testable import Platform
import Testing

@Suite struct ShortVariantsTests {
    @Test func aVariantIsShortForTheHoldAfterItsLastRefusal() async throws {
        let short = ShortVariants(hold: .milliseconds(300))
        let variant = VariantID.generate(at: Timestamp(milliseconds: 1))
        #expect(!short.isShort(variant))
        short.refused(variant)
        #expect(short.isShort(variant))
        try await Task.sleep(for: .milliseconds(200))
        short.refused(variant)
        try await Task.sleep(for: .milliseconds(200))
        #expect(short.isShort(variant), "the second refusal held it longer")
        try await Task.sleep(for: .milliseconds(200))
        #expect(!short.isShort(variant))
        #expect(!short.isShort(VariantID.generate(at: Timestamp(milliseconds: 2))))
    }
}
