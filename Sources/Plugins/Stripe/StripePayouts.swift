import PluginKit

/// Payouts as Stripe Connect transfers to the organizer's connected account (`POST /v1/transfers`
/// with `destination`, `transfer_group` and the `Idempotency-Key` both the payout id). A transfer
/// moves the money into the connected account at once, so its answer settles the payout; a later
/// `transfer.reversed` returns it. Stripe keeps idempotency keys at least 24 hours.
extension StripeProvider: PayoutProvider {
    /// Stripe takes one transfer per request; a batch is sent one by one.
    public var maximumPayoutBatch: Int { 100 }

    struct Transfer: Decodable {
        let id: String
    }

    /// Whole units where Stripe has no others (MGA), a last digit of 0 for three-decimal currencies.
    public func payable(_ amount: Money) -> Money { StripeAmounts.payable(amount) }

    public func validate(account: String) throws -> String {
        let id = account.dropFirst("acct_".count)
        guard account.hasPrefix("acct_"), !id.isEmpty, id.count <= 250, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw PayoutAccountInvalid("must be a Stripe connected account id (acct_…)")
        }
        return account
    }

    /// A refusal of one transfer (an account that cannot receive it) rejects that payout; an outage
    /// or rate limit ends the batch with the answers so far, and the run sends the rest again
    /// later under the same keys (throwing only when not one transfer was answered).
    public func send(payouts: [PayoutInstruction]) async throws -> [String: PayoutDispatch] {
        var answers: [String: PayoutDispatch] = [:]
        for payout in payouts {
            // An amount Stripe cannot express is refused on its own, never with the transfers made before it.
            guard let units = try? StripeAmounts.stripeUnits(payout.amount), StripeAmounts.unrepresentable(payout.amount) == nil else {
                answers[payout.payoutID] = .rejected(reason: "Stripe cannot send \(payout.amount) in its units")
                continue
            }
            var form = FormParameters()
            form.add("amount", units)
            form.add("currency", payout.amount.currency.code.lowercased())
            form.add("destination", payout.account)
            form.add("transfer_group", payout.payoutID)
            form.add("description", payout.description)
            form.add("metadata[payout_id]", payout.payoutID)
            do {
                let transfer = try await client.post("/v1/transfers", form, idempotencyKey: payout.payoutID, as: Transfer.self)
                answers[payout.payoutID] = .accepted(reference: transfer.id, settled: true)
            } catch let error as ProviderError {
                switch error {
                case let .declined(message), let .invalidRequest(message): answers[payout.payoutID] = .rejected(reason: message)
                default:
                    if answers.isEmpty { throw error }
                    return answers
                }
            }
        }
        return answers
    }

    public var payoutWebhookHandlers: [String: WebhookHandler] { StripeWebhooks.payoutHandlers }
}

extension StripeWebhooks {
    struct TransferObject: Decodable {
        let id: String
        let transferGroup: String?
        let metadata: [String: String]?
        /// True once the whole transfer is reversed.
        let reversed: Bool?

        func payout() throws -> String {
            guard let payout = metadata?["payout_id"] ?? transferGroup else { throw WebhookPayloadError("transfer \(id) names no payout") }
            return payout
        }
    }

    static let payoutHandlers: [String: WebhookHandler] = [
        "transfer.reversed": { envelope in
            let transfer = try decode(TransferObject.self, envelope)
            // A partial reversal leaves the payout partly paid: dead-lettered for an admin, not guessed.
            guard transfer.reversed == true else { throw WebhookPayloadError("transfer \(transfer.id) was reversed in part; an admin must book it") }
            return .payoutReturned(payout: try transfer.payout(), reason: "Stripe transfer \(transfer.id) was reversed")
        },
    ]
}
