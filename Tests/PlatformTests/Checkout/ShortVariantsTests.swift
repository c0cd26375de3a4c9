@testable import Platform
import Testing

@Suite struct ShortVariantsTests {
    @Test func aVariantIsShortForTheHoldAfterItsLastRefusal() {
        let short = ShortVariants(hold: .seconds(2))
        let variant = VariantID.generate(at: Timestamp(milliseconds: 1))
        let start = ContinuousClock.now
        #expect(!short.isShort(variant, at: start))
        short.refused(variant, at: start)
        #expect(short.isShort(variant, at: start + .milliseconds(1_999)))
        short.refused(variant, at: start + .seconds(1))
        #expect(short.isShort(variant, at: start + .milliseconds(2_999)), "the second refusal held it longer")
        #expect(!short.isShort(variant, at: start + .seconds(3)))
        #expect(!short.isShort(variant, at: start + .milliseconds(2_500)), "forgotten once its hold ended")
        #expect(!short.isShort(VariantID.generate(at: Timestamp(milliseconds: 2)), at: start))
    }
}
