import Foundation
import Platform

/// One payout batch the fake PayPal took.
struct FakePayPalBatch: Sendable {
    struct Item: Sendable {
        let id: String
        let senderItemID: String
        let receiver: String
        let amount: Money
        var status: String
    }

    let id: String
    let senderBatchID: String
    var status: String
    var items: [Item]
}

/// PayPal Payouts as the fake answers them: a `sender_batch_id` is taken once, and refused again
/// with a link to the original batch.
extension FakePayPal {
    /// The next payout call creates its batch but answers 500, as if the answer were lost.
    package func loseNextPayoutAnswer() { state.withLock { $0.loseNextPayoutAnswer = true } }
    /// The next payout batch is denied outright.
    package func denyNextBatch() { state.withLock { $0.denyNextBatch = true } }
    package var batchCount: Int { state.withLock { $0.batches.count } }
    package var payoutItemCount: Int { state.withLock { $0.batches.values.reduce(0) { $0 + $1.items.count } } }
    /// How many items of all batches pay `senderItemID` (our payout id): more than one is a double payment.
    package func items(paying senderItemID: String) -> Int {
        state.withLock { $0.batches.values.reduce(0) { $0 + $1.items.filter { $0.senderItemID == senderItemID }.count } }
    }

    /// Moves the item paying `senderItemID` to `status` (`SUCCESS`, `RETURNED`, …), as PayPal later does.
    package func settleItem(_ senderItemID: String, as status: String) {
        state.withLock { state in
            for (id, var batch) in state.batches {
                guard let index = batch.items.firstIndex(where: { $0.senderItemID == senderItemID }) else { continue }
                batch.items[index].status = status
                state.batches[id] = batch
            }
        }
    }

    func createBatch(_ request: FakePayPalRequest) throws -> (Int, String) {
        try state.withLock { state in
            guard let header = request.json["sender_batch_header"] as? [String: Any], let sender = header["sender_batch_id"] as? String,
                  let items = request.json["items"] as? [[String: Any]], !items.isEmpty else {
                throw FakePayPalRefusal(status: 400, name: "VALIDATION_ERROR", issue: "MISSING_REQUIRED_PARAMETER")
            }
            if let original = state.batchBySender[sender] {
                // As PayPal answers it: the detail names the field and links the original, without a method.
                throw FakePayPalRefusal(status: 400, name: "USER_BUSINESS_ERROR", issue: "Batch with given sender_batch_id already exists",
                                        field: "SENDER_BATCH_ID", detailLinks: [["href": "\(state.base)/v1/payments/payouts/\(original)", "rel": "self"]])
            }
            guard items.count <= 15_000 else { throw FakePayPalRefusal(status: 400, name: "VALIDATION_ERROR", issue: "ITEMS_LIMIT_EXCEEDED") }
            var taken: [FakePayPalBatch.Item] = []
            for item in items {
                guard let amount = item["amount"] as? [String: Any], let code = amount["currency"] as? String, let currency = Currency(code: code),
                      let value = amount["value"] as? String, let money = Money(decimal: value, currency: currency),
                      let receiver = item["receiver"] as? String, let senderItem = item["sender_item_id"] as? String else {
                    throw FakePayPalRefusal(status: 400, name: "VALIDATION_ERROR", issue: "INVALID_PARAMETER_VALUE")
                }
                guard taken.first.map({ $0.amount.currency == currency }) ?? true else {
                    throw FakePayPalRefusal(status: 422, name: "UNPROCESSABLE_ENTITY", issue: "CURRENCY_MISMATCH")
                }
                taken.append(.init(id: nextID("FAKEITEM", &state), senderItemID: senderItem, receiver: receiver, amount: money, status: "PENDING"))
            }
            let denied = state.denyNextBatch
            state.denyNextBatch = false
            let batch = FakePayPalBatch(id: nextID("FAKEBATCH", &state), senderBatchID: sender, status: denied ? "DENIED" : "PENDING", items: taken)
            state.batches[batch.id] = batch
            state.batchBySender[sender] = batch.id
            if state.loseNextPayoutAnswer {
                state.loseNextPayoutAnswer = false
                throw FakePayPalRefusal(status: 500, name: "INTERNAL_SERVICE_ERROR", issue: "INTERNAL_SERVICE_ERROR")
            }
            return (201, Self.json(["batch_header": batchHeader(batch), "links": [["href": "\(state.base)/v1/payments/payouts/\(batch.id)", "rel": "self", "method": "GET"]]]))
        }
    }

    func showBatch(_ id: String, _ request: FakePayPalRequest) throws -> (Int, String) {
        try state.withLock { state in
            guard let batch = state.batches[id] else { throw FakePayPalRefusal(status: 404, name: "RESOURCE_NOT_FOUND", issue: "INVALID_RESOURCE_ID") }
            let size = max(1, min(1_000, Int(request.query["page_size"] ?? "") ?? 1_000))
            let page = max(1, Int(request.query["page"] ?? "") ?? 1)
            let slice = batch.items.dropFirst((page - 1) * size).prefix(size)
            return (200, Self.json([
                "batch_header": batchHeader(batch), "items": slice.map { itemObject($0, batch: batch) },
                "total_items": batch.items.count, "total_pages": (batch.items.count + size - 1) / size,
            ]))
        }
    }

    func batchHeader(_ batch: FakePayPalBatch) -> [String: Any] {
        ["payout_batch_id": batch.id, "batch_status": batch.status,
         "sender_batch_header": ["sender_batch_id": batch.senderBatchID, "email_subject": "You have a payout"]]
    }

    func itemObject(_ item: FakePayPalBatch.Item, batch: FakePayPalBatch) -> [String: Any] {
        var object: [String: Any] = [
            "payout_item_id": item.id, "transaction_id": "FAKETX" + item.id.dropFirst(8), "transaction_status": item.status,
            "payout_batch_id": batch.id,
            "payout_item": ["recipient_type": "EMAIL", "amount": ["value": item.amount.decimalString, "currency": item.amount.currency.code],
                            "receiver": item.receiver, "sender_item_id": item.senderItemID],
        ]
        if ["FAILED", "BLOCKED", "RETURNED"].contains(item.status) {
            object["errors"] = ["name": item.status == "RETURNED" ? "RECEIVER_UNREGISTERED" : "RECEIVER_ACCOUNT_LOCKED",
                                "message": "Injected by the fake PayPal."]
        }
        return object
    }
}
