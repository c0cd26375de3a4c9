import SQLKit
import Synchronization

/// The seats a batch of webhooks moves from held to sold, written once per variant at the end of
/// the batch's transaction. A variant's row stays locked from its update to the commit, so updating
/// it with each payment would hold every other worker's payment for that variant until the whole
/// batch commits. Held plus sold is the same before and after a conversion, so nothing the batch
/// checks in between (a quota) reads differently.
final class DeferredSeatConversions: Sendable {
    /// Set while an inbox batch applies its rows; nil converts at once.
    @TaskLocal static var current: DeferredSeatConversions?

    private let seats = Mutex<[VariantID: Int64]>([:])

    func add(_ variant: VariantID, _ n: Int64) {
        seats.withLock { $0[variant, default: 0] += n }
    }

    /// One update per variant, in variant order (every path locks variants in that order).
    func write(on sql: any SQLDatabase) async throws {
        let pending = seats.withLock { seats in
            defer { seats.removeAll() }
            return seats.sorted { $0.key < $1.key }
        }
        for (variant, n) in pending { try await InventoryRepository(sql).convertHeldToSold(variant, n) }
    }
}
