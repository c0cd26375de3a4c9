import SQLKit
import Synchronization

/// The seats a batch of webhooks moves from held to sold, written once per variant at the end of
/// the batch's transaction. A variant's row stays locked from its update to the commit, so updating
/// it with each payment would hold every other worker's payment for that variant until the whole
/// batch commits. Held plus sold is the same before and after a conversion, so a quota check later
/// in the batch (`sellUnreserved`) reads the same. A refund later in the batch of an order paid
/// earlier in it may release sold seats before they are added (`sold >= 0` can then refuse it):
/// the batch rolls back and its rows are taken one at a time, with the same result.
///
/// Only `PaymentApplier.paid` reads `current`; it is set around the batch's rows alone, in the
/// batch's transaction (a task started inside it inherits the value, so none may apply payments
/// in another transaction).
final class DeferredSeatConversions: Sendable {
    /// Set while an inbox batch applies its rows; nil converts at once.
    @TaskLocal static var current: DeferredSeatConversions?

    private let seats = Mutex<[VariantID: Int64]>([:])

    func add(_ variant: VariantID, _ n: Int64) {
        seats.withLock { $0[variant, default: 0] += n }
    }

    /// One update per variant, in variant order, so two batches' final updates never wait on each
    /// other in a cycle.
    func write(on sql: any SQLDatabase) async throws {
        let pending = seats.withLock { seats in
            defer { seats.removeAll() }
            return seats.sorted { $0.key < $1.key }
        }
        for (variant, n) in pending { try await InventoryRepository(sql).convertHeldToSold(variant, n) }
    }
}
