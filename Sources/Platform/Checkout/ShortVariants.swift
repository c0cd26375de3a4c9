import Synchronization

/// Variants whose last checkout alone was refused one seat: sold out. Their checkouts skip the
/// batches for a while: a batch of them would fail whole on its seats and then run each of its
/// checkouts alone again, so a sold-out variant's refused buyers would each cost two transactions.
/// Each refusal holds the variant here `hold` longer; a seat given back (an expired order) is still
/// sold, by a checkout alone. A cart refused several seats says nothing of the variant being sold
/// out, so it is not noted: one buyer asking for more than is left must not take the others out
/// of the batches.
final class ShortVariants: Sendable {
    /// How long after its last refusal a variant's checkouts run alone.
    let hold: Duration
    private let until = Mutex<[VariantID: ContinuousClock.Instant]>([:])

    init(hold: Duration = .seconds(2)) { self.hold = hold }

    /// Notes that a checkout of `variant` alone was refused its one seat at `now`.
    func refused(_ variant: VariantID, at now: ContinuousClock.Instant = .now) {
        until.withLock { until in
            // Forgets the variants whose hold ended, so the map holds only those refused lately.
            if until.count > 64 { until = until.filter { $0.value > now } }
            until[variant] = now + hold
        }
    }

    /// Whether `variant` was refused within `hold` before `now`.
    func isShort(_ variant: VariantID, at now: ContinuousClock.Instant = .now) -> Bool {
        until.withLock { until in
            guard let end = until[variant] else { return false }
            if end > now { return true }
            until[variant] = nil
            return false
        }
    }
}
