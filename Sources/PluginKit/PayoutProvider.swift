/// One payout the kernel asks a provider to send: an organizer's net, to its account there.
public struct PayoutInstruction: Sendable, Hashable {
    /// The platform's payout id (`po_…`): the idempotency key at the provider, and what its
    /// settlement events name (Stripe's `transfer_group`, PayPal's `sender_item_id`).
    public let payoutID: String
    /// The organizer's account at the provider, as `validate(account:)` returned it.
    public let account: String
    /// More than zero.
    public let amount: Money
    /// For the organizer's statement at the provider.
    public let description: String
    /// The platform's id of the batch this payout goes in: every payout of one `send(payouts:)`
    /// call has the same, and a payout sent again keeps it (PayPal's `sender_batch_id`).
    public let batchID: String

    public init(payoutID: String, account: String, amount: Money, description: String, batchID: String) {
        self.payoutID = payoutID
        self.account = account
        self.amount = amount
        self.description = description
        self.batchID = batchID
    }
}

/// What a provider answered for one payout of a batch.
public enum PayoutDispatch: Sendable, Hashable {
    /// Taken; `reference` is the provider's id (`tr_…`). `settled` when the answer itself is the
    /// confirmation (a Stripe transfer lands at once); otherwise a settlement event follows.
    case accepted(reference: String, settled: Bool)
    /// Refused for good (a closed account, a wrong currency): the money goes back to the organizer's available balance.
    case rejected(reason: String)
}

/// The account a payout method names is unusable; `reason` says why, for the organizer.
public struct PayoutAccountInvalid: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ reason: String) { description = reason }
}

/// A payment provider that also sends payouts to organizers. Its settlement events arrive on the
/// same `/webhooks/{id}` as its payments, verified the same way, and its handlers turn them into
/// `PaymentCommand.payoutSettled`, `.payoutFailed` or `.payoutReturned`.
public protocol PayoutProvider: PaymentProvider {
    /// Most payouts one `send(payouts:)` takes (PayPal: 15,000; one per call for Stripe transfers).
    var maximumPayoutBatch: Int { get }
    /// Checks an organizer's account as given (`acct_…`, an email) and returns it as it will be used.
    /// - Throws: `PayoutAccountInvalid`.
    func validate(account: String) throws -> String
    /// Sends a batch in one currency and one `batchID`, each payout with its id as the idempotency
    /// key, and answers for each payout id. Sending the same ids again never pays twice. A payout
    /// left unanswered is sent again later (in the same batch).
    /// - Throws: `ProviderError` when the batch as a whole failed; the payouts are tried again later.
    func send(payouts: [PayoutInstruction]) async throws -> [String: PayoutDispatch]
    /// The provider's settlement event types to their handlers.
    var payoutWebhookHandlers: [String: WebhookHandler] { get }
    /// The most of `amount` the provider can send in one payout, in the same currency (PayPal sends
    /// HUF in whole forints only); what is left stays in the organizer's available balance.
    func payable(_ amount: Money) -> Money
}

extension PayoutProvider {
    public func payable(_ amount: Money) -> Money { amount }
}
