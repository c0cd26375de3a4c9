import Platform
import Testing

@Suite struct ChunksTests {
    @Test func runsOfAtMostTheSizeInOrder() {
        #expect(Array(1...7).chunks(of: 3) == [[1, 2, 3], [4, 5, 6], [7]])
        #expect(Array(1...6).chunks(of: 3) == [[1, 2, 3], [4, 5, 6]])
        #expect([Int]().chunks(of: 3).isEmpty)
    }
}
