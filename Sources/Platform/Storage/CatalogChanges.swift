import Synchronization

/// A count of this process's writes to what buyers see of an event: its fields and status, its
/// variants and their seat counters, its organizer's suspension. A cache of public answers keeps
/// the count it read before its rows and refills once the count has moved past it
/// (`PublicEventCache`).
///
/// The repositories that write those rows call `note()` after a write that changed one. Inside a
/// transaction the rows are not yet visible then, so `inTransaction` counts once more after its
/// COMMIT: a read that kept the old rows meanwhile is refilled by the next reader. Writes by other
/// processes are seen when the cache's lifetime ends.
package enum CatalogChanges {
    private static let count = Atomic<Int>(0)

    /// Whether the transaction of the current task noted a write; set by `inTransaction`.
    @TaskLocal static var transaction: Noted?

    final class Noted: Sendable {
        fileprivate let noted = Atomic<Bool>(false)
    }

    static func note() {
        count.wrappingAdd(1, ordering: .relaxed)
        transaction?.noted.store(true, ordering: .relaxed)
    }

    /// Counts once more for a transaction that noted a write, once its COMMIT has returned.
    static func committed(_ transaction: Noted) {
        if transaction.noted.load(ordering: .relaxed) { count.wrappingAdd(1, ordering: .relaxed) }
    }

    package static var current: Int { count.load(ordering: .relaxed) }
}
