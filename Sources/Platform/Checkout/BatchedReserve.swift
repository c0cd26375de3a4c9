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
        /// Given the batch's held seats when it has several checkouts; nil for one alone.
        let work: @Sendable (any SQLDatabase, DeferredSeats?) async throws -> Reservation
    }

    /// One transaction for a batch's reserve steps. Several take their seats together at its end
    /// and share their audit entries' insert and their reads of the event and of its organizer's
    /// webhook endpoints (`BatchWrites`, `BatchReads`, as an inbox batch does); one alone runs as
    /// a checkout outside a batch, its seats taken in the statement that writes its order.
    /// - Throws: what any step throws, or the 409 of `SeatReservation` when the batch's seats are
    ///   more than are left; nothing of the batch is then written.
    static func reserve(_ batch: [BatchedReservation], on database: any Database) async throws -> [Reservation] {
        try await database.transaction { sql in
            let (seats, writes) = batch.count > 1 ? (DeferredSeats(), BatchWrites()) : (nil, nil)
            let reservations = try await BatchWrites.$current.withValue(writes) {
                try await BatchReads.$current.withValue(batch.count > 1 ? BatchReads() : nil) {
                    var reservations: [Reservation] = []
                    for reservation in batch {
                        reservations.append(try await AuditScope.$current.withValue(reservation.scope) { try await reservation.work(sql, seats) })
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
