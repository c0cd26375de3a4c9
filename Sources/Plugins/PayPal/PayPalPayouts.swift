import Foundation
import PluginKit

/// Payouts through PayPal Payouts (`POST /v1/payments/payouts`): one call per batch, its
/// `sender_batch_id` the platform's batch id and each item's `sender_item_id` the payout id.
/// PayPal pays a `sender_batch_id` once in 30 days and refuses it again with a link to the
/// original batch, which is then read to answer for each payout. Items settle later through
/// `PAYMENT.PAYOUTS-ITEM.*` events.
extension PayPalProvider: PayoutProvider {
    public var maximumPayoutBatch: Int { configuration.payoutBatchLimit }
    /// PayPal's own limit of items per call, whatever `PAYPAL_PAYOUT_BATCH_LIMIT` says: a batch
    /// sent before under a higher setting goes again whole.
    static let itemsPerCall = 15_000

    /// HUF and TWD in whole units; the fraction stays available for a later payout.
    public func payable(_ amount: Money) -> Money {
        guard Money.payPalWholeUnits.contains(amount.currency.code) else { return amount }
        let unit = amount.currency.minorUnitsPerMajor
        return Money(minorUnits: amount.minorUnits / unit * unit, currency: amount.currency)
    }

    /// A PayPal account's email address (recipient type EMAIL).
    public func validate(account: String) throws -> String {
        let email = account.trimmingCharacters(in: .whitespaces)
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              email.count <= 127, email.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "<" && $0 != ">" }) else {
            throw PayoutAccountInvalid("must be the email address of a PayPal account")
        }
        return email
    }

    struct PayoutBody: Encodable {
        struct Header: Encodable {
            let senderBatchId: String, emailSubject: String
            var recipientType = "EMAIL"
        }
        struct Amount: Encodable { let value: String, currency: String }
        struct Item: Encodable {
            var recipientType = "EMAIL"
            let amount: Amount, receiver: String, senderItemId: String, note: String
        }
        let senderBatchHeader: Header
        let items: [Item]
    }

    struct Batch: Decodable {
        struct Header: Decodable {
            struct Sender: Decodable { let senderBatchId: String? }
            let payoutBatchId: String
            let batchStatus: String
            let senderBatchHeader: Sender?
        }
        struct Item: Decodable {
            struct Inner: Decodable { let senderItemId: String? }
            let payoutItemId: String?
            let transactionStatus: String?
            let payoutItem: Inner?
        }
        let batchHeader: Header
        let items: [Item]?
        let totalItems: Int?
        let totalPages: Int?
    }

    /// - Throws: `ProviderError` when the call as a whole failed (the payouts are sent again later
    ///   in the same batch), `.invalidRequest` for payouts of several batches or currencies.
    public func send(payouts: [PayoutInstruction]) async throws -> [String: PayoutDispatch] {
        guard let first = payouts.first else { return [:] }
        guard payouts.allSatisfy({ $0.batchID == first.batchID && $0.amount.currency == first.amount.currency }),
              payouts.count <= Self.itemsPerCall else {
            throw ProviderError.invalidRequest("a PayPal payout batch is one batch id, one currency and at most \(Self.itemsPerCall) items")
        }
        // An amount PayPal cannot take is refused on its own; the others go.
        var refused: [String: PayoutDispatch] = [:]
        var items: [PayoutBody.Item] = []
        for payout in payouts {
            guard let value = try? payout.amount.payPalValue() else {
                refused[payout.payoutID] = .rejected(reason: "PayPal takes \(payout.amount.currency.code) in whole units only, not \(payout.amount)")
                continue
            }
            items.append(.init(amount: .init(value: value, currency: payout.amount.currency.code), receiver: payout.account,
                               senderItemId: payout.payoutID, note: String(payout.description.prefix(1000))))
        }
        guard !items.isEmpty else { return refused }
        let sent = payouts.filter { refused[$0.payoutID] == nil }
        let body = PayoutBody(senderBatchHeader: .init(senderBatchId: first.batchID, emailSubject: "You have a payout"), items: items)
        try await pacer.wait()
        // No PayPal-Request-Id: the sender_batch_id is what PayPal deduplicates payouts by, and a
        // replayed answer to a batch sent with other items would claim payouts that were never paid.
        let (status, data) = try await client.send(.POST, "/v1/payments/payouts", json: try JSONCoding.encoder.encode(body))
        if (200..<300).contains(status) {
            guard let batch = try? JSONCoding.decoder.decode(Batch.self, from: data) else {
                throw ProviderError.providerError("PayPal answered the payout with an unreadable body")
            }
            let answer: PayoutDispatch = ["DENIED", "CANCELED"].contains(batch.batchHeader.batchStatus)
                ? .rejected(reason: "PayPal \(batch.batchHeader.batchStatus.lowercased()) payout batch \(batch.batchHeader.payoutBatchId)")
                : .accepted(reference: batch.batchHeader.payoutBatchId, settled: false)
            return refused.merging(sent.map { ($0.payoutID, answer) }) { first, _ in first }
        }
        switch Self.duplicate(in: data) {
        case nil:
            throw PayPalClient.classify(status: status, body: data)
        case .some(nil):
            // Already sent, but the refusal names no batch to read: never final, or the money would be paid again.
            throw ProviderError.unavailable("PayPal refused batch \(first.batchID) as sent before without linking it")
        case let .some(original?):
            do {
                return refused.merging(try await answers(for: sent, fromBatch: original)) { first, _ in first }
            } catch let error as ProviderError {
                // Whatever reading the original met, the batch was sent: leave its payouts to be tried again.
                switch error {
                case let .declined(message), let .invalidRequest(message), let .conflict(message):
                    throw ProviderError.unavailable("PayPal batch \(original) could not be read: \(message)")
                default: throw error
                }
            }
        }
    }

    /// Whether an error answer refuses a `sender_batch_id` used before, and if so the id of the
    /// original batch when it links it. PayPal answers `USER_BUSINESS_ERROR` with a detail on
    /// `SENDER_BATCH_ID` whose `link` (or the answer's `links`) leads to the original batch.
    static func duplicate(in body: Data) -> String?? {
        // Read loosely (JSONSerialization, every field optional): a refusal whose shape surprises
        // must still be recognised, or the batch would be failed and paid again.
        guard let refusal = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else { return nil }
        let details = refusal["details"] as? [[String: Any]] ?? []
        let name = refusal["name"] as? String ?? ""
        let named = details.contains { detail in
            let field = (detail["field"] as? String ?? "").uppercased()
            let issue = (detail["issue"] as? String ?? "").lowercased()
            return (field.contains("SENDER_BATCH_ID") || issue.contains("sender_batch_id"))
                && (name == "USER_BUSINESS_ERROR" || issue.contains("already") || issue.contains("duplicate"))
        }
        var links: [[String: Any]] = refusal["links"] as? [[String: Any]] ?? []
        for detail in details { links += (detail["link"] as? [[String: Any]] ?? []) + (detail["links"] as? [[String: Any]] ?? []) }
        let original = links.lazy
            .filter { (($0["method"] as? String) ?? "GET").uppercased() == "GET" }
            .compactMap { $0["href"] as? String }.filter { $0.contains("/v1/payments/payouts/") }
            .compactMap { URL(string: $0)?.lastPathComponent }.first { PayPalResources.pathSafe($0) }
        guard named || original != nil else { return nil }
        return .some(original)
    }

    /// Each payout as the original batch has it. A payout the whole batch (every page read,
    /// `total_items` of them) lacks was never sent and is refused; while the batch cannot be read
    /// whole, the payouts stay unanswered, to be sent again later.
    func answers(for payouts: [PayoutInstruction], fromBatch id: String) async throws -> [String: PayoutDispatch] {
        var items: [String: Batch.Item] = [:]
        var (page, read, total, status) = (1, 0, Int?.none, "")
        while true {
            let (code, data) = try await client.send(.GET, "/v1/payments/payouts/\(id)?page=\(page)&page_size=1000&total_required=true")
            guard code == 200 else { throw PayPalClient.classify(status: code, body: data) }
            guard let batch = try? JSONCoding.decoder.decode(Batch.self, from: data) else {
                throw ProviderError.providerError("PayPal answered payout batch \(id) with an unreadable body")
            }
            guard batch.batchHeader.senderBatchHeader?.senderBatchId == payouts.first?.batchID else {
                throw ProviderError.providerError("PayPal linked payout batch \(id), which is not batch \(payouts.first?.batchID ?? "")")
            }
            status = batch.batchHeader.batchStatus
            total = batch.totalItems ?? total
            let pageItems = batch.items ?? []
            read += pageItems.count
            for item in pageItems {
                if let sender = item.payoutItem?.senderItemId { items[sender] = item }
            }
            guard let pages = batch.totalPages, page < pages, !pageItems.isEmpty else { break }
            page += 1
        }
        // We never send an empty batch: one listed empty is not read whole.
        let whole = read > 0 && total.map { read >= $0 } ?? false
        var answers: [String: PayoutDispatch] = [:]
        for payout in payouts {
            if ["DENIED", "CANCELED"].contains(status) {
                answers[payout.payoutID] = .rejected(reason: "PayPal \(status.lowercased()) payout batch \(id)")
                continue
            }
            guard let item = items[payout.payoutID] else {
                if whole {
                    answers[payout.payoutID] = .rejected(reason: "not in PayPal batch \(id): it was never sent")
                }
                continue
            }
            let reference = item.payoutItemId ?? id
            switch item.transactionStatus ?? "PENDING" {
            case "SUCCESS": answers[payout.payoutID] = .accepted(reference: reference, settled: true)
            case "FAILED", "RETURNED", "BLOCKED", "REFUNDED", "REVERSED", "DENIED", "CANCELED":
                answers[payout.payoutID] = .rejected(reason: "PayPal payout item \(reference) is \(item.transactionStatus ?? "")")
            default: answers[payout.payoutID] = .accepted(reference: reference, settled: false)
            }
        }
        return answers
    }

    public var payoutWebhookHandlers: [String: WebhookHandler] { PayPalPayoutEvents.handlers }
}

/// `PAYMENT.PAYOUTS-ITEM.*` and `PAYMENT.PAYOUTSBATCH.*` as kernel commands.
enum PayPalPayoutEvents {
    struct Item: Decodable {
        struct Inner: Decodable { let senderItemId: String? }
        struct Errors: Decodable { let name: String?, message: String? }
        let payoutItemId: String
        let transactionStatus: String?
        let payoutItem: Inner?
        let errors: Errors?

        func payout() throws -> String {
            guard let id = payoutItem?.senderItemId else { throw WebhookPayloadError("PayPal payout item \(payoutItemId) names no payout") }
            return id
        }

        var reason: String { "PayPal payout item \(payoutItemId) is \(transactionStatus ?? "unsettled")" + (errors?.name.map { " (\($0))" } ?? "") }
    }

    static func item(_ envelope: WebhookEnvelope) throws -> Item { try PayPalWebhooks.resource(Item.self, envelope) }

    static let handlers: [String: WebhookHandler] = [
        "PAYMENT.PAYOUTS-ITEM.SUCCEEDED": { envelope in
            let item = try item(envelope)
            return .payoutSettled(payout: try item.payout(), reference: item.payoutItemId)
        },
        "PAYMENT.PAYOUTS-ITEM.FAILED": { try failed($0) },
        "PAYMENT.PAYOUTS-ITEM.BLOCKED": { try failed($0) },
        "PAYMENT.PAYOUTS-ITEM.DENIED": { try failed($0) },
        "PAYMENT.PAYOUTS-ITEM.CANCELED": { try failed($0) },
        // Returned: money back, whether the item had settled or not (the kernel books either).
        "PAYMENT.PAYOUTS-ITEM.RETURNED": { try returned($0) },
        "PAYMENT.PAYOUTS-ITEM.REFUNDED": { try returned($0) },
        "PAYMENT.PAYOUTS-ITEM.REVERSED": { try returned($0) },
        // Unclaimed: PayPal returns it after 30 days, and says so with RETURNED.
        "PAYMENT.PAYOUTS-ITEM.UNCLAIMED": { _ in .acknowledge },
        "PAYMENT.PAYOUTS-ITEM.HELD": { _ in .acknowledge },
        // Batch events carry no items: the item events settle them, except for a denied batch.
        "PAYMENT.PAYOUTSBATCH.DENIED": { envelope in
            struct Batch: Decodable {
                struct Header: Decodable {
                    struct Sender: Decodable { let senderBatchId: String? }
                    let payoutBatchId: String
                    let senderBatchHeader: Sender?
                }
                let batchHeader: Header
            }
            let batch = try PayPalWebhooks.resource(Batch.self, envelope).batchHeader
            guard let ours = batch.senderBatchHeader?.senderBatchId else { throw WebhookPayloadError("PayPal payout batch \(batch.payoutBatchId) names no batch") }
            return .payoutBatchFailed(batch: ours, reason: "PayPal denied payout batch \(batch.payoutBatchId)")
        },
        "PAYMENT.PAYOUTSBATCH.PROCESSING": { _ in .acknowledge },
        "PAYMENT.PAYOUTSBATCH.SUCCESS": { _ in .acknowledge },
    ]

    static func failed(_ envelope: WebhookEnvelope) throws -> PaymentCommand {
        let item = try item(envelope)
        return .payoutFailed(payout: try item.payout(), reason: item.reason)
    }

    static func returned(_ envelope: WebhookEnvelope) throws -> PaymentCommand {
        let item = try item(envelope)
        return .payoutReturned(payout: try item.payout(), reason: item.reason)
    }
}

/// Spaces PayPal payout calls so no more than `callsPerMinute` start in any minute.
actor PayPalPacer {
    nonisolated let interval: Duration
    private var next: ContinuousClock.Instant?

    init(callsPerMinute: Int) { interval = .seconds(60) / max(1, callsPerMinute) }

    /// When a call asked for at `now` may start: at once, or one interval after the previous call's start.
    func slot(at now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        let start = max(now, next ?? now)
        next = start + interval
        return start
    }

    func wait() async throws {
        let now = ContinuousClock.now
        let start = slot(at: now)
        if start > now { try await Task.sleep(until: start, clock: .continuous) }
    }
}
