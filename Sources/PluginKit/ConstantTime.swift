extension String {
    /// Compares secrets without an early exit, so the time taken does not tell how much matched.
    public func constantTimeEquals(_ other: String) -> Bool {
        let (left, right) = (Array(utf8), Array(other.utf8))
        guard left.count == right.count else { return false }
        return zip(left, right).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
