extension Array {
    /// The elements in consecutive runs of at most `size` (more than zero), in order: for batch
    /// statements and provider calls with a limit.
    package func chunks(of size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
