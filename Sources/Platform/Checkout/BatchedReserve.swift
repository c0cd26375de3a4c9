import PluginKit
import SQLKit
import Synchronization

extension Checkout {
    /// The most reserve transactions of one variant run as one (`CheckoutBatches`).
    static let maxBatch = 16
    /// Batches of one variant running at once: while one takes its seats and commits, the next
    /// runs its checkouts' other statements.
    static let batchRunners = 2

    /// The variant whose batch a cart joins: one line, and no credit, whose wallet rows the
    /// checkouts of a batch would share.
    static func batchable(_ input: CheckoutInput) -> VariantID? {
        guard input.cart.lines.count == 1, input.creditUse == nil, input.provider != creditProvider else { return nil }
        return input.cart.lines[0].variantID
    }

    /// A checkout's reserve step, run in its batch's transaction as whoever placed it.
    struct BatchedReservation: Sendable {
        let scope: AuditScope
        /// The checkout's key, which a batch of several claims with the others' before any work.
        let idempotency: IdempotentRequest?
        /// Given the batch's held seats when it has several checkouts (nil for one alone), and
        /// whether the batch claimed the checkout's key for it.
        let work: @Sendable (any SQLDatabase, DeferredSeats?, _ keyClaimed: Bool) async throws -> Reservation
    }

    /// One transaction for a batch's reserve steps. Several claim their Idempotency-Keys in one
    /// statement first, write their orders and audit entries with one insert per table and take
    /// their seats together at its end, and read the event, its organizer's fee and webhook
    /// endpoints once (`BatchWrites`, `BatchReads`, as an inbox batch does); one alone runs as a
    /// checkout outside a batch, its seats taken in the statement that writes its order.
    /// - Parameter clock: when the batch claims its keys, read once its transaction has begun (a
    ///   claim older than `IdempotencyRepository.abandonedAfter` may be taken over).
    /// - Throws: what any step throws, or the 409 of `SeatReservation` when the batch's seats are
    ///   more than are left; nothing of the batch is then written.
    static func reserve(_ batch: [BatchedReservation], on database: any Database, clock: any WallClock) async throws -> [Reservation] {
        try await database.transaction { sql in
            let (seats, writes) = batch.count > 1 ? (DeferredSeats(), BatchWrites()) : (nil, nil)
            let claimed = batch.count > 1 ? try await claimKeys(of: batch, at: clock.now(), on: sql) : []
            let reservations = try await BatchWrites.$current.withValue(writes) {
                try await BatchReads.$current.withValue(batch.count > 1 ? BatchReads() : nil) {
                    var reservations: [Reservation] = []
                    for (index, reservation) in batch.enumerated() {
                        reservations.append(try await AuditScope.$current.withValue(reservation.scope) {
                            try await reservation.work(sql, seats, claimed.contains(index))
                        })
                    }
                    return reservations
                }
            }
            try await writes?.flush(on: sql)
            try await seats?.take(on: sql)
            return reservations
        }
    }
}

extension Checkout {
    /// Claims the new keys of a batch in one statement. A key the batch has twice is claimed for
    /// its first checkout only, and one in use or answered is left to its checkout's own claim,
    /// which tells which (a replay, or a conflict that fails the batch and runs it alone).
    /// - Returns: the indices in `batch` of the checkouts whose keys it claimed.
    static func claimKeys(of batch: [BatchedReservation], at now: Timestamp, on sql: any SQLDatabase) async throws -> Set<Int> {
        var first: [[String]: Int] = [:]
        for (index, reservation) in batch.enumerated() {
            guard let request = reservation.idempotency, first[[request.scope, request.key]] == nil else { continue }
            first[[request.scope, request.key]] = index
        }
        let requests = first.values.sorted().compactMap { batch[$0].idempotency }
        let claimed = try await IdempotencyRepository(sql).claimNew(requests.map { ($0.scope, $0.key, $0.requestHash) }, now: now,
                                                                    retention: IdempotencyRepository.retention)
        return Set(claimed.compactMap { first[$0] })
    }
}

/// The seats a batch's pending orders hold, taken at the batch's end with one conditional update
/// per variant: the variant's row is then locked only from that update to the commit.
final class DeferredSeats: Sendable {
    private let held = Mutex<(seats: [VariantID: Int64], variants: [VariantID: TicketVariant])>(([:], [:]))

    /// Holds `lines` until `take`.
    func hold(_ lines: [OrderLine], of variants: [VariantID: TicketVariant]) {
        held.withLock { held in
            for line in lines {
                held.seats[line.variantID, default: 0] += line.quantity
                held.variants[line.variantID] = variants[line.variantID]
            }
        }
    }

    /// - Throws: `PlatformError.conflict` (409) when a variant has fewer seats left than the batch holds.
    func take(on sql: any SQLDatabase) async throws {
        let (seats, variants) = held.withLock { ($0.seats, $0.variants) }
        guard !seats.isEmpty else { return }
        try await SeatReservation(sql).take(seats.map { OrderLine(variantID: $0.key, quantity: $0.value, unitPrice: 0) }, of: variants)
    }
}
