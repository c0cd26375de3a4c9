import Platform
import Testing

/// The cart's rules, without a database: what a cart may hold, and how its lines are priced
/// against their variants (sale windows, per-order limits, totals).
@Suite struct CartTests {
    static let now = Timestamp(seconds: 1_780_000_000)
    static let organizer = OrganizerID.generate(at: now), event = EventID.generate(at: now)

    static func variant(_ name: String, price: Int64, status: VariantStatus = .live, maxPerOrder: Int64? = nil,
                        salesStart: Timestamp? = nil, salesEnd: Timestamp? = nil) -> TicketVariant {
        TicketVariant(id: .generate(at: now), organizerID: organizer, eventID: event, name: name, price: price, quota: 100,
                      maxPerOrder: maxPerOrder, salesStart: salesStart, salesEnd: salesEnd, status: status, sold: 0, reserved: 0,
                      createdAt: now, updatedAt: now)
    }

    func problems(_ cart: Cart) -> [String] {
        var check = Validator()
        cart.check(into: &check)
        return check.errors.map(\.field)
    }

    @Test func aCartHoldsOneToTwentyDistinctLinesOfOneToAThousandSeats() {
        let a = Self.variant("A", price: 100), b = Self.variant("B", price: 100)
        #expect(problems(Cart(lines: [CartLine(variantID: a.id, quantity: 1), CartLine(variantID: b.id, quantity: 1000)])).isEmpty)
        #expect(problems(Cart(lines: [])) == ["lines"])
        #expect(problems(Cart(lines: [CartLine(variantID: a.id, quantity: 1), CartLine(variantID: a.id, quantity: 2)])) == ["lines"])
        #expect(problems(Cart(lines: [CartLine(variantID: a.id, quantity: 0), CartLine(variantID: b.id, quantity: 1001)]))
                == ["lines[0].quantity", "lines[1].quantity"])
        let many = (0..<21).map { _ in CartLine(variantID: .generate(at: Self.now), quantity: 1) }
        #expect(problems(Cart(lines: many)) == ["lines"])
    }

    @Test func linesArePricedInTheEventsCurrency() throws {
        let standing = Self.variant("Standing", price: 2_500), seated = Self.variant("Seated", price: 4_000)
        let priced = try Cart(lines: [CartLine(variantID: seated.id, quantity: 1), CartLine(variantID: standing.id, quantity: 3)])
            .price([standing.id: standing, seated.id: seated], currency: .eur, at: Self.now)
        #expect(priced.total == Money(minorUnits: 11_500, currency: .eur))
        #expect(priced.lines == [OrderLine(variantID: seated.id, quantity: 1, unitPrice: 4_000),
                                 OrderLine(variantID: standing.id, quantity: 3, unitPrice: 2_500)])
    }

    @Test func everyLineThatCannotBeSoldIsNamed() {
        let hidden = Self.variant("Hidden", price: 100, status: .hidden)
        let early = Self.variant("Early", price: 100, salesStart: Self.now.adding(minutes: 1))
        let over = Self.variant("Over", price: 100, salesEnd: Self.now)
        let limited = Self.variant("Limited", price: 100, maxPerOrder: 2)
        let huge = Self.variant("Huge", price: TicketVariant.maxPrice)
        let variants = Dictionary(uniqueKeysWithValues: [hidden, early, over, limited, huge].map { ($0.id, $0) })
        let cart = Cart(lines: [
            CartLine(variantID: hidden.id, quantity: 1), CartLine(variantID: early.id, quantity: 1), CartLine(variantID: over.id, quantity: 1),
            CartLine(variantID: limited.id, quantity: 3), CartLine(variantID: .generate(at: Self.now), quantity: 1),
            CartLine(variantID: huge.id, quantity: Int64.max / 2),
        ])
        #expect {
            _ = try cart.price(variants, currency: .eur, at: Self.now)
        } throws: { error in
            (error as? ValidationFailure)?.errors.map(\.field) == [
                "lines[0].variant_id", "lines[1].variant_id", "lines[2].variant_id", "lines[3].quantity", "lines[4].variant_id",
                "lines[5].quantity",
            ]
        }
    }
}
