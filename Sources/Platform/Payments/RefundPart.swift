/// Which part of an order paid partly with credit a refund takes back first.
package enum RefundPart: String, Sendable, CaseIterable {
    /// Credit first, then the provider (the default).
    case credit
    /// Only the provider's part.
    case provider
}
