import PluginKit

/// A payout as its organizer (or an admin) sees it.
struct PayoutBody: Encodable {
    let id: String, organizerId: String, currency: String, amount: Int64, provider: String, account: String, status: String
    let providerReference: String?, failureReason: String?, lastError: String?, coversUntil: Timestamp, createdAt: Timestamp
    let sentAt: Timestamp?, settledAt: Timestamp?

    init(_ payout: Payout) {
        id = payout.id.rawValue
        organizerId = payout.organizerID.rawValue
        currency = payout.amount.currency.code
        amount = payout.amount.minorUnits
        provider = payout.provider
        account = payout.account
        status = payout.status.rawValue
        providerReference = payout.providerReference
        failureReason = payout.failureReason
        lastError = payout.lastError
        coversUntil = payout.coversUntil
        createdAt = payout.createdAt
        sentAt = payout.sentAt
        settledAt = payout.settledAt
    }
}
