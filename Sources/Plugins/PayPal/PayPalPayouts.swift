import Foundation
import PluginKit

/// Payouts through PayPal Payouts (`POST /v1/payments/payouts`): one call per batch, its
/// `sender_batch_id` the platform's batch id and each item's `sender_item_id` the payout id.
/// PayPal pays a `sender_batch_id` once in 30 days and refuses it again with a link to the
/// original batch, which is then read to answer for each payout. Items settle later through
/// `PAYMENT.PAYOUTS-ITEM.*` events.
extension PayPalProvider: PayoutProvider {
    public var maximumPayoutBatch: Int { configuration.payoutBatchLimit }

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
        let totalPages: Int?
    }

    /// - Throws: `ProviderError` when the call as a whole failed (the payouts are sent again later
    ///   in the same batch), `.invalidRequest` for payouts of several batches or currencies.
    public func send(payouts: [PayoutInstruction]) async throws -> [String: PayoutDispatch] {
        guard let first = payouts.first else { return [:] }
        guard payouts.allSatisfy({ $0.batchID == first.batchID && $0.amount.currency == first.amount.currency }),
              payouts.count <= configuration.payoutBatchLimit else {
            throw ProviderError.invalidRequest("a PayPal payout batch is one batch id, one currency and at most \(configuration.payoutBatchLimit) items")
        }
        let body = PayoutBody(
            senderBatchHeader: .init(senderBatchId: first.batchID, emailSubject: "You have a payout"),
            items: payouts.map {
                .init(amount: .init(value: $0.amount.decimalString, currency: $0.amount.currency.code), receiver: $0.account,
                      senderItemId: $0.payoutID, note: String($0.description.prefix(1000)))
            })
        try await pacer.wait()
        let (status, data) = try await client.send(.POST, "/v1/payments/payouts", json: try JSONCoding.encoder.encode(body),
                                                   requestID: first.batchID)
        if (200..<300).contains(status) {
            guard let batch = try? JSONCoding.decoder.decode(Batch.self, from: data) else {
                throw ProviderError.providerError("PayPal answered the payout with an unreadable body")
            }
            let answer: PayoutDispatch = batch.batchHeader.batchStatus == "DENIED"
                ? .rejected(reason: "PayPal denied payout batch \(batch.batchHeader.payoutBatchId)")
                : .accepted(reference: batch.batchHeader.payoutBatchId, settled: false)
            return Dictionary(uniqueKeysWithValues: payouts.map { ($0.payoutID, answer) })
        }
        guard let original = Self.originalBatch(in: data) else { throw PayPalClient.classify(status: status, body: data) }
        return try await answers(for: payouts, fromBatch: original)
    }

    /// The id of the batch a refused duplicate links to (PayPal's HATEOAS link to the original).
    static func originalBatch(in body: Data) -> String? {
        struct Refusal: Decodable { let links: [PayPalResources.Link]? }
        guard let links = (try? JSONCoding.decoder.decode(Refusal.self, from: body))?.links,
              let href = links.first(where: { ($0.method ?? "GET") == "GET" && $0.href.contains("/v1/payments/payouts/") })?.href,
              let id = URL(string: href)?.lastPathComponent, PayPalResources.pathSafe(id) else { return nil }
        return id
    }

    /// Each payout as the original batch has it; one the batch lacks was never sent and is refused.
    func answers(for payouts: [PayoutInstruction], fromBatch id: String) async throws -> [String: PayoutDispatch] {
        var items: [String: Batch.Item] = [:]
        var page = 1
        while true {
            let (status, data) = try await client.send(.GET, "/v1/payments/payouts/\(id)?page=\(page)&page_size=1000&total_required=true")
            guard status == 200 else { throw PayPalClient.classify(status: status, body: data) }
            guard let batch = try? JSONCoding.decoder.decode(Batch.self, from: data) else {
                throw ProviderError.providerError("PayPal answered payout batch \(id) with an unreadable body")
            }
            guard batch.batchHeader.senderBatchHeader?.senderBatchId == payouts.first?.batchID else {
                throw ProviderError.providerError("PayPal linked payout batch \(id), which is not batch \(payouts.first?.batchID ?? "")")
            }
            for item in batch.items ?? [] {
                if let sender = item.payoutItem?.senderItemId { items[sender] = item }
            }
            guard let pages = batch.totalPages, page < pages, !(batch.items ?? []).isEmpty else { break }
            page += 1
        }
        var answers: [String: PayoutDispatch] = [:]
        for payout in payouts {
            guard let item = items[payout.payoutID] else {
                answers[payout.payoutID] = .rejected(reason: "not in PayPal batch \(id): it was never sent")
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
    let interval: Duration
    private var next: ContinuousClock.Instant?

    init(callsPerMinute: Int) { interval = .seconds(60) / max(1, callsPerMinute) }

    func wait() async throws {
        let now = ContinuousClock.now
        let start = max(now, next ?? now)
        next = start + interval
        if start > now { try await Task.sleep(until: start, clock: .continuous) }
    }
}
