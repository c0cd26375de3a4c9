import PluginKit
import Synchronization

/// Payouts through the Sandbox, offline end to end: each payout is answered at once and settled by
/// the Sandbox's own signed webhook (`payout.paid`), through the same inbox as a real provider's.
/// Accounts are `sandbox` or `sandbox:<name>`; `sandbox:reject` is refused outright and
/// `sandbox:fail` fails after it was sent (`payout.failed`), to try the unhappy paths.
extension SandboxProvider: PayoutProvider {
    public var maximumPayoutBatch: Int { 1_000 }

    public func validate(account: String) throws -> String {
        let name = account.hasPrefix("sandbox:") ? account.dropFirst("sandbox:".count) : (account == "sandbox" ? "default" : "")
        guard !name.isEmpty, name.count <= 64,
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
            throw PayoutAccountInvalid("must be sandbox or sandbox:<name> (letters, digits, . _ -, at most 64)")
        }
        return account
    }

    /// Answers a repeated payout id as the first time, and settles each payout once.
    public func send(payouts: [PayoutInstruction]) async throws -> [String: PayoutDispatch] {
        var answers: [String: PayoutDispatch] = [:]
        var events: [SandboxEvent] = []
        for payout in payouts {
            let reference = "sbx_tr_" + payout.payoutID.dropFirst(3)
            let (answer, first) = payoutsSent.answer(payout.payoutID) {
                payout.account == "sandbox:reject" ? .rejected(reason: "the sandbox refuses account sandbox:reject")
                    : .accepted(reference: reference, settled: false)
            }
            answers[payout.payoutID] = answer
            guard first, case .accepted = answer else { continue }
            let failing = payout.account == "sandbox:fail"
            events.append(SandboxEvent(
                id: "sbx_evt_" + reference, type: failing ? "payout.failed" : "payout.paid",
                data: .init(currency: payout.amount.currency.code, payoutID: payout.payoutID,
                            reason: failing ? "the sandbox fails account sandbox:fail" : nil)))
        }
        // Delivered all before answering, so the inbox holds every settlement once the run has
        // recorded the answers (a one-shot `platform payouts run` loses none): 50 to a transaction,
        // 8 transactions at once.
        let batches = stride(from: 0, to: events.count, by: 50).map { Array(events[$0..<min($0 + 50, events.count)]) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, batch) in batches.enumerated() {
                if index >= 8 { try await group.next() }
                group.addTask { try await deliver(batch) }
            }
            try await group.waitForAll()
        }
        return answers
    }

    public var payoutWebhookHandlers: [String: WebhookHandler] {
        [
            "payout.paid": { .payoutSettled(payout: try SandboxEvent.data(of: $0).payout(), reference: nil) },
            "payout.failed": { envelope in
                let data = try SandboxEvent.data(of: envelope)
                return .payoutFailed(payout: try data.payout(), reason: data.reason ?? "failed in the sandbox")
            },
        ]
    }
}

/// Each payout id's first answer, so that a payout sent again is never paid twice.
final class SentPayouts: Sendable {
    private let answers = Mutex<[String: PayoutDispatch]>([:])

    func answer(_ id: String, _ make: () -> PayoutDispatch) -> (PayoutDispatch, first: Bool) {
        answers.withLock { answers in
            if let known = answers[id] { return (known, false) }
            let answer = make()
            answers[id] = answer
            return (answer, true)
        }
    }
}
