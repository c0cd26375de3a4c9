import Synchronization

/// A count of this process's writes to what buyers see of an event: its fields and status, its
/// variants and their seat counters, its organizer's suspension. A cache of public answers keeps
/// the count it was filled at and refills once the count moved (`PublicEventCache`).
///
/// The repositories that write those rows call `note()` at the write, before their transaction
/// commits: a read between the two can keep the old rows, for as long as its cache keeps anything.
/// Writes by other processes are seen when the cache's lifetime ends.
package enum CatalogChanges {
    private static let count = Atomic<Int>(0)

    static func note() { count.wrappingAdd(1, ordering: .relaxed) }

    package static var current: Int { count.load(ordering: .relaxed) }
}
