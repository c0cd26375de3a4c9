import Logging
import PluginKit
import SQLKit

/// What a payout run is asked to pay.
package struct PayoutRunRequest: Sendable, Hashable {
    package var currency: String?
    package var organizer: OrganizerID?
    /// Answers what a real run would pay and writes nothing.
    package var dryRun: Bool

    package init(currency: String? = nil, organizer: OrganizerID? = nil, dryRun: Bool = false) {
        self.currency = currency
        self.organizer = organizer
        self.dryRun = dryRun
    }
}

/// What a run did (or, dry, would do).
package struct PayoutRunReport: Sendable {
    package struct Line: Sendable, Hashable {
        package let payoutID: PayoutID?
        package let organizerID: OrganizerID
        package let amount: Money
        package let provider: String
        /// `planned` (dry run), else the payout's status after the run.
        package let status: String
        package let error: String?
    }

    package struct Skipped: Sendable, Hashable {
        package let organizerID: OrganizerID
        package let amount: Money
        package let reason: String
    }

    package var payouts: [Line] = []
    package var skipped: [Skipped] = []
}

/// Pays each organizer its available balance, per currency, when it is at least the minimum.
///
/// The money leaves the available balance in the transaction that writes the payout ('sending',
/// leased to this run); the provider is called after that commits, with the payout id as its
/// idempotency key. Organizers are claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite's
/// single writer serializes runs), and their balance is read again under the claim, so two runs
/// at once, or a run again, pay nobody twice. A run that dies after the ledger move leaves its
/// payouts 'sending': once their lease ends, the next run sends them with the same ids.
package struct PayoutRun: Sendable {
    let database: any Database
    let clock: any WallClock
    let providers: PaymentProviders
    let minimum: PayoutMinimum
    let mailFrom: String
    let logger: Logger
    /// How long a run holds the payouts it sends before another may take them over (ms).
    let lease: Int64
    /// Organizers claimed per transaction.
    let batch: Int
    /// Runs after the payouts are written and before any provider is called (tests stop a run there).
    let afterLedgerMove: @Sendable () async throws -> Void

    package init(database: any Database, clock: any WallClock, providers: PaymentProviders, minimum: PayoutMinimum, mailFrom: String,
                 logger: Logger, lease: Int64 = 5 * 60_000, batch: Int = 500,
                 afterLedgerMove: @escaping @Sendable () async throws -> Void = {}) {
        self.database = database
        self.clock = clock
        self.providers = providers
        self.minimum = minimum
        self.mailFrom = mailFrom
        self.logger = logger
        self.lease = lease
        self.batch = batch
        self.afterLedgerMove = afterLedgerMove
    }

    /// A 'sending' payout is sent again under its id only this long after it was written (ms):
    /// providers keep idempotency keys for a while (Stripe: at least 24 hours), not for ever.
    static let resendWindow: Int64 = 20 * 3600 * 1000

    /// `progress(done, total)` follows the provider calls.
    package func run(_ request: PayoutRunRequest, progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> PayoutRunReport {
        let now = clock.now()
        var report = PayoutRunReport()
        let planned = try await plan(request, at: now, into: &report)
        if request.dryRun {
            report.payouts = planned.compactMap { planned in
                planned.method.map {
                    .init(payoutID: nil, organizerID: planned.organizer, amount: planned.amount, provider: $0.provider, status: "planned", error: nil)
                }
            }
            return report
        }
        let owner = "run-" + PayoutID.generate(at: now).rawValue
        var sending: [Payout] = []
        for chunk in planned.chunks(of: batch) {
            sending += try await moveToTransit(chunk, owner: owner)
        }
        let (since, until) = (Timestamp(milliseconds: now.milliseconds - Self.resendWindow), now.adding(seconds: lease / 1000))
        let (stale, stuck) = try await database.transaction { sql in
            let payouts = PayoutRepository(sql)
            return (try await payouts.claimStale(now: now, since: since, owner: owner, leaseUntil: until, currency: request.currency,
                                                 organizer: request.organizer, limit: 100_000),
                    try await payouts.stuck(before: since, currency: request.currency, organizer: request.organizer))
        }
        sending += stale
        report.payouts += stuck.map {
            line($0, status: .sending, error: "unconfirmed for over 20 hours: not sent again; check it with \($0.provider) before settling or failing it")
        }
        try await afterLedgerMove()
        var done = 0
        progress(0, sending.count)
        for group in Dictionary(grouping: sending, by: { "\($0.provider) \($0.amount.currency.code)" }).sorted(by: { $0.key < $1.key }) {
            guard let provider = providers.payoutProvider(group.value[0].provider) else {
                report.payouts += group.value.map { line($0, status: .sending, error: "provider \($0.provider) is not enabled") }
                continue
            }
            // A batch sent before goes again on its own, never split or joined (a provider that
            // deduplicates whole batches knows it by its id); the payouts never sent fill new ones.
            let earlier = Dictionary(grouping: group.value.filter { $0.batchID != nil }, by: { $0.batchID ?? "" })
            let chunks = earlier.sorted { $0.key < $1.key }.map { $0.value.sorted { $0.id < $1.id } }
                + group.value.filter { $0.batchID == nil }.sorted { $0.id < $1.id }.chunks(of: max(1, provider.maximumPayoutBatch))
            for chunk in chunks {
                report.payouts += try await send(chunk, through: provider, owner: owner)
                done += chunk.count
                progress(done, sending.count)
            }
        }
        return report
    }

    /// An organizer's funds in one currency to settle: what it owes booked or paid back, and
    /// `amount` paid when `method` is set.
    struct Planned { let organizer: OrganizerID, amount: Money, method: PayoutMethod? }

    /// Who would be paid now (and whose balance below zero, or debt, is to be booked), and who is
    /// skipped and why.
    func plan(_ request: PayoutRunRequest, at now: Timestamp, into report: inout PayoutRunReport) async throws -> [Planned] {
        let minimum = self.minimum
        let (funds, methods, suspended) = try await database.read { sql in
            let funds = try await LedgerRepository(sql).organizerFunds(currency: request.currency, organizers: request.organizer.map { [$0] })
            let organizers = Array(Set(funds.filter { $0.payable >= minimum.amount(for: $0.currency.code) }.map(\.organizer))).sorted()
            var methods: [OrganizerID: PayoutMethod] = [:]
            var suspended: Set<OrganizerID> = []
            for chunk in organizers.chunks(of: 1_000) {
                methods.merge(try await PayoutMethodRepository(sql).find(chunk)) { $1 }
                suspended.formUnion(try await OrganizerRepository(sql).suspended(among: chunk))
            }
            return (funds, methods, suspended)
        }
        var planned: [Planned] = []
        for funds in funds.sorted(by: { ($0.currency.code, -$0.payable, $0.organizer) < ($1.currency.code, -$1.payable, $1.organizer) }) {
            let (organizer, amount) = (funds.organizer, Money(minorUnits: funds.payable, currency: funds.currency))
            var method: PayoutMethod?
            if funds.payable >= minimum.amount(for: funds.currency.code) {
                if suspended.contains(organizer) {
                    report.skipped.append(.init(organizerID: organizer, amount: amount, reason: "the organizer is suspended"))
                } else if let chosen = methods[organizer] {
                    if providers.payoutProvider(chosen.provider) == nil {
                        report.skipped.append(.init(organizerID: organizer, amount: amount, reason: "payout provider \(chosen.provider) is not enabled"))
                    } else if chosen.awaitsApproval(at: now) {
                        report.skipped.append(.init(organizerID: organizer, amount: amount,
                                                    reason: "payout method replaced less than 24 hours ago; awaits an admin's approval"))
                    } else {
                        method = chosen
                    }
                } else {
                    report.skipped.append(.init(organizerID: organizer, amount: amount, reason: "no payout method"))
                }
            }
            if method != nil || funds.hasDebtToBook { planned.append(Planned(organizer: organizer, amount: amount, method: method)) }
        }
        return planned
    }

    /// Claims the organizers and reads their funds again under the claim. An available balance
    /// below zero is booked as owed; what is owed is paid back out of what is available; then what
    /// is left, when it is at least the minimum, moves into transit with the payout that will send
    /// it, booked at the time of that transaction (the payout covers the ledger up to then).
    func moveToTransit(_ planned: [Planned], owner: String) async throws -> [Payout] {
        let (minimum, lease, clock, providers) = (self.minimum, self.lease, self.clock, self.providers)
        return try await database.transaction { sql in
            let claimed = try await Self.claim(planned.map(\.organizer), on: sql)
            let now = clock.now()
            let methods = try await PayoutMethodRepository(sql).find(claimed)
            let wanted = Dictionary(planned.map { ("\($0.organizer) \($0.amount.currency.code)", $0.method != nil) }) { $0 || $1 }
            var payouts: [Payout] = []
            var transfers: [Transfer] = []
            for funds in try await LedgerRepository(sql).organizerFunds(currency: nil, organizers: claimed) {
                let (organizer, currency) = (funds.organizer, funds.currency)
                guard let pays = wanted["\(organizer) \(currency.code)"] else { continue }
                func transfer(_ id: String, _ kind: TransferKind, _ amount: Int64, debit: LedgerAccount, credit: LedgerAccount) -> Transfer {
                    Transfer(id: id, kind: kind, amount: Money(minorUnits: amount, currency: currency), debit: debit, credit: credit,
                             organizerID: organizer, orderID: nil, bookedAt: now)
                }
                var available = funds.available
                if available < 0 {
                    transfers.append(transfer("receivable-owed:\(organizer):\(currency.code):\(funds.owedInAll - available)", .receivableOwed,
                                              -available, debit: .organizerReceivable(organizer), credit: .organizerAvailable(organizer)))
                    available = 0
                } else if available > 0, funds.owed > 0 {
                    let repaid = min(available, funds.owed)
                    transfers.append(transfer("receivable-repaid:\(organizer):\(currency.code):\(funds.repaidInAll + repaid)", .receivableRepaid,
                                              repaid, debit: .organizerAvailable(organizer), credit: .organizerReceivable(organizer)))
                    available -= repaid
                }
                guard pays, available >= minimum.amount(for: currency.code), let method = methods[organizer], !method.awaitsApproval(at: now) else {
                    continue
                }
                // What the provider can send of it; a remainder it cannot (a fraction of a forint at PayPal) stays available.
                let whole = Money(minorUnits: available, currency: currency)
                let amount = providers.payoutProvider(method.provider)?.payable(whole) ?? whole
                guard amount.currency == currency, amount.minorUnits > 0, amount.minorUnits <= available,
                      amount.minorUnits >= minimum.amount(for: currency.code) else { continue }
                let payout = Payout(id: PayoutID.generate(at: now), organizerID: organizer, amount: amount, provider: method.provider,
                                    account: method.account, status: .sending, attempts: 1, coversUntil: now, createdAt: now)
                payouts.append(payout)
                transfers.append(Transfer(id: "payout:\(payout.id)", kind: .payoutSent, amount: amount, debit: .organizerAvailable(organizer),
                                          credit: .payoutsInTransit(organizer), organizerID: organizer, orderID: nil, payoutID: payout.id,
                                          bookedAt: now))
            }
            try await PayoutRepository(sql).insert(payouts, owner: owner, leaseUntil: now.adding(seconds: lease / 1000))
            try await LedgerRepository(sql).post(transfers)
            try await AuditTrail.record(payouts.map { payout in
                AuditedChange("payout.created", organizer: payout.organizerID, subject: payout.id.rawValue, changes: .fields([
                    "status": (nil, payout.status.rawValue), "amount": (nil, payout.amount.minorUnits), "currency": (nil, payout.amount.currency.code),
                    "provider": (nil, payout.provider), "account": (nil, payout.account),
                ]))
            }, at: now, on: sql)
            return payouts
        }
    }

    /// The organizers this transaction may pay: on PostgreSQL the ones no other run holds.
    static func claim(_ organizers: [OrganizerID], on sql: any SQLDatabase) async throws -> [OrganizerID] {
        guard !organizers.isEmpty else { return [] }
        guard DatabaseEngine(of: sql) == .postgres else { return organizers }
        struct Row: Decodable { let id: String }
        return try await sql.raw("""
            SELECT id FROM organizers WHERE id IN (\(binds: Array(Set(organizers.map(\.rawValue))))) ORDER BY id FOR UPDATE SKIP LOCKED
            """).all(decoding: Row.self).map { try StoredValue.id($0.id) }
    }

    /// Renews this run's lease on the chunk, calls the provider once for the payouts it still
    /// holds, and records the answers in one transaction.
    func send(_ chunk: [Payout], through provider: any PayoutProvider, owner: String) async throws -> [PayoutRunReport.Line] {
        let started = clock.now()
        let (until, newBatch) = (started.adding(seconds: lease / 1000), "batch_" + PayoutID.generate(at: started).rawValue.dropFirst(3))
        let (held, moved, batches) = try await database.transaction { sql in
            let payouts = PayoutRepository(sql)
            let held = try await payouts.renew(chunk.map(\.id), owner: owner, until: until)
            // Moved on meanwhile (an event failed or settled it, or another run holds it): not sent from here.
            return (held, try await payouts.statuses(chunk.map(\.id).filter { !held.contains($0) }),
                    try await payouts.assignBatch(Array(held).sorted(), batch: newBatch))
        }
        var lines = chunk.compactMap { payout in moved[payout.id].map { line(payout, status: $0, error: nil) } }
        var chunk = chunk.filter { held.contains($0.id) }
        guard !chunk.isEmpty else { return lines }
        // One call per batch: payouts sent before keep theirs.
        var collected: [String: PayoutDispatch] = [:]
        for (batch, payouts) in Dictionary(grouping: chunk, by: { batches[$0.id] ?? newBatch }).sorted(by: { $0.key < $1.key }) {
            let instructions = payouts.map {
                PayoutInstruction(payoutID: $0.id.rawValue, account: $0.account, amount: $0.amount, description: "Payout \($0.id)", batchID: batch)
            }
            do {
                collected.merge(try await provider.send(payouts: instructions)) { first, _ in first }
            } catch {
                lines += try await failedCall(payouts, owner: owner, error: error)
                let failed = Set(payouts.map(\.id))
                chunk.removeAll { failed.contains($0.id) }
            }
        }
        guard !chunk.isEmpty else { return lines }
        let answers = collected
        let settlement = PayoutSettlement(mailFrom: mailFrom)
        let (now, answered) = (clock.now(), chunk.filter { answers[$0.id.rawValue] != nil })
        // The chunk's answers in one transaction: if recording fails, the payouts stay leased
        // 'sending', and sending them again under the same ids is answered as this time.
        lines += try await database.transaction { sql in
            let organizers = try await OrganizerRepository(sql).find(Array(Set(answered.map(\.organizerID))))
            var accepted: [(payout: Payout, reference: String)] = []
            for payout in answered {
                if case let .accepted(reference, _)? = answers[payout.id.rawValue] { accepted.append((payout, reference)) }
            }
            try await settlement.sent(accepted, organizers: organizers, at: now, on: sql)
            var errors: [PayoutID: String] = [:]
            for payout in answered {
                switch answers[payout.id.rawValue] {
                case let .accepted(reference, true)?:
                    _ = try await settlement.settle(payout.id, reference: reference, provider: provider.id, at: now, on: sql)
                case let .rejected(reason)?:
                    _ = try await settlement.fail(payout.id, reason: reason, provider: provider.id, at: now, on: sql)
                    errors[payout.id] = reason
                default:
                    continue
                }
            }
            let statuses = try await PayoutRepository(sql).statuses(answered.map(\.id))
            return answered.map { line($0, status: statuses[$0.id] ?? .sending, error: errors[$0.id]) }
        }
        let unanswered = chunk.filter { answers[$0.id.rawValue] == nil }
        if !unanswered.isEmpty {
            lines += try await failedCall(unanswered, owner: owner, error: ProviderError.unavailable("no answer from \(provider.id) yet"))
        }
        return lines
    }

    /// A refusal of the request itself fails the payouts (their money goes back); anything else
    /// leaves them 'sending', to be sent again with the same ids once their lease ends.
    func failedCall(_ chunk: [Payout], owner: String, error: any Error) async throws -> [PayoutRunReport.Line] {
        let now = clock.now()
        let description = String(describing: error)
        logger.warning("payout provider call failed", metadata: ["payouts": "\(chunk.count)", "error": "\(description.prefix(300))"])
        let final: Bool = switch error as? ProviderError {
        case .declined?, .invalidRequest?: true
        default: false
        }
        let settlement = PayoutSettlement(mailFrom: mailFrom)
        return try await database.transaction { sql in
            var lines: [PayoutRunReport.Line] = []
            for payout in chunk {
                if final {
                    _ = try await settlement.fail(payout.id, reason: description, provider: payout.provider, at: now, on: sql)
                    lines.append(line(payout, status: .failed, error: description))
                } else {
                    let retryAt = now.adding(seconds: Backoff.seconds(attempt: payout.attempts))
                    try await PayoutRepository(sql).recordError(payout.id, owner: owner, error: description, retryAt: retryAt)
                    lines.append(line(payout, status: .sending, error: description))
                }
            }
            return lines
        }
    }

    func line(_ payout: Payout, status: PayoutStatus, error: String?) -> PayoutRunReport.Line {
        .init(payoutID: payout.id, organizerID: payout.organizerID, amount: payout.amount, provider: payout.provider, status: status.rawValue,
              error: error)
    }
}
