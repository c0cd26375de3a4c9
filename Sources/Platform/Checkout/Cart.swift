import PluginKit

/// One line of a cart: a variant and how many seats of it.
package struct CartLine: Sendable, Hashable {
    package let variantID: VariantID
    package let quantity: Int64

    package init(variantID: VariantID, quantity: Int64) {
        self.variantID = variantID
        self.quantity = quantity
    }
}

/// A buyer's cart, checked and priced without the database: the rules of a cart on its own, then
/// the rules of each line against its variant (sale window, per-order limit), and the total.
package struct Cart: Sendable, Hashable {
    static let maxLines = 20
    static let maxQuantity: Int64 = 1000

    package let lines: [CartLine]

    package init(lines: [CartLine]) { self.lines = lines }

    /// Records what is wrong with the lines alone: none, more than `maxLines`, a variant named
    /// twice, a quantity outside 1 to `maxQuantity`.
    package func check(into check: inout Validator) {
        check.check(!lines.isEmpty, "lines", "must hold at least one line")
        check.check(lines.count <= Self.maxLines, "lines", "must hold at most \(Self.maxLines) lines")
        check.check(Set(lines.map(\.variantID)).count == lines.count, "lines", "must name each variant once")
        for (index, line) in lines.enumerated() where line.quantity < 1 || line.quantity > Self.maxQuantity {
            check.fail("lines[\(index)].quantity", "must be between 1 and \(Self.maxQuantity)")
        }
    }

    /// The order lines at each variant's price, and their total in the event's currency (minor units).
    /// - Throws: `ValidationFailure` naming every line whose variant is not a public ticket of the
    ///   event, is not on sale at `now`, is over its per-order limit, or makes the total overflow.
    package func price(_ variants: [VariantID: TicketVariant], currency: Currency, at now: Timestamp) throws(ValidationFailure) -> PricedCart {
        var priced: [OrderLine] = []
        var total = Money.zero(currency)
        var problems = Validator()
        for (index, line) in lines.enumerated() {
            guard let variant = variants[line.variantID], variant.status.isPublic else {
                problems.fail("lines[\(index)].variant_id", "is not a ticket of this event")
                continue
            }
            guard variant.status == .live, variant.salesStart.map({ now >= $0 }) ?? true, variant.salesEnd.map({ now < $0 }) ?? true else {
                problems.fail("lines[\(index)].variant_id", "\(variant.name) is not on sale now")
                continue
            }
            if let limit = variant.maxPerOrder, line.quantity > limit {
                problems.fail("lines[\(index)].quantity", "at most \(limit) \(variant.name) tickets per order")
            }
            do {
                total = try total.adding(try Money(minorUnits: variant.price, currency: currency).multiplied(by: line.quantity))
            } catch {
                problems.fail("lines[\(index)].quantity", "makes the order total too large")
            }
            priced.append(OrderLine(variantID: variant.id, quantity: line.quantity, unitPrice: variant.price))
        }
        try problems.throwIfFailed()
        return PricedCart(lines: priced, total: total)
    }
}

/// A cart at its prices: the order's lines and total.
package struct PricedCart: Sendable, Hashable {
    package let lines: [OrderLine]
    package let total: Money
}
