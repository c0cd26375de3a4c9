import Foundation
import PluginKit
import SQLKit

/// What a buyer sends to place an order.
package struct CheckoutInput: Sendable {
    package var eventID: EventID
    package var cart: Cart
    package var email: String
    package var name: String?
    /// Nil for an order that turns out free (a total of 0 needs no provider).
    package var provider: String?
    package var successURL: String?
    package var cancelURL: String?
    /// A sale at the box office, paid to the organizer in cash or at its card terminal (`cash`,
    /// `card`): the order is paid in the transaction that takes its seats. Only the pages of door
    /// staff and owners set it; the API cannot.
    package var boxOffice: String?
    /// How much of the buyer's credit pays for the order (`use_credit`); nil: none, unless the
    /// provider is `credits`, which means all of it.
    package var creditUse: CreditUse?
    /// The address of the buyer's session, whose wallet pays the credit part; nil without a session.
    package var walletEmail: String?

    package init(eventID: EventID, lines: [CartLine], email: String, name: String? = nil, provider: String?,
                 successURL: String? = nil, cancelURL: String? = nil, boxOffice: String? = nil) {
        self.boxOffice = boxOffice
        self.eventID = eventID
        self.cart = Cart(lines: lines)
        self.email = email
        self.name = name
        self.provider = provider
        self.successURL = successURL
        self.cancelURL = cancelURL
    }
}

/// A new order, with the checkout its buyer goes to (`order.checkoutURL`).
package struct PlacedOrder: Sendable {
    package let order: Order
    /// Lets the buyer read the order; shown once, stored only as a hash.
    package let accessToken: String
}

/// Places orders, in four named steps and two transactions:
/// 1. `validated`: the cart and the buyer's fields, without the database;
/// 2. `reserve`, one transaction: the Idempotency-Key is claimed, the cart priced, the seats taken
///    with one conditional update per variant (all lines or none), the pending order written. A
///    cart of one line without credit runs it in its variant's next batch (`CheckoutBatches`);
///    other carts, one whose batch failed, and those of a variant lately sold out
///    (`ShortVariants`), once `SeatAdmission` lets the cart's variants in;
/// 3. `openCheckout`: the provider's checkout, asked outside any transaction; if it fails the
///    seats and the key are given back at once;
/// 4. `complete`, one transaction: the checkout session and the key's answer are recorded, with
///    those of the event's other orders completing at the same time (`CheckoutBatches`).
package struct Checkout: Sendable {
    let database: any Database
    let clock: any WallClock
    let providers: PaymentProviders
    /// Ends an order whose checkout could not be opened: the same applier every path that changes an order uses.
    let payments: PaymentApplier
    package let keys: IdempotencyKeys
    /// Queues checkouts of one variant before their transaction (`SeatAdmission`).
    package let admission: SeatAdmission
    /// Runs the reserve transactions of one-line carts of a variant together.
    let batches: CheckoutBatches<VariantID, BatchedReservation, Reservation>
    /// Variants lately sold out, whose one-seat checkouts run alone.
    let shortVariants = ShortVariants()
    /// Records the checkout sessions of an event's orders together (`complete`).
    let completions: CheckoutBatches<EventID, RecordedCheckout, Void>
    /// The most checkouts one reserve transaction has taken so far, for tests and benchmarks.
    package var largestBatch: Int { batches.largestBatch }
    /// The most orders one statement has recorded the checkout sessions of, for tests and benchmarks.
    package var largestCompletion: Int { completions.largestBatch }
    /// Batches of several checkouts that failed (`CheckoutBatches.batchesFailed`).
    package var batchesFailed: Int { batches.batchesFailed }
    let baseURL: String
    /// Whether buyers come back from the provider to the order's page (`/my-tickets/orders/{id}`)
    /// or, on a server without pages, to the order's JSON.
    let buyerPages: Bool

    package init(database: any Database, clock: any WallClock, providers: PaymentProviders, payments: PaymentApplier, baseURL: String,
                 buyerPages: Bool = false) {
        self.database = database
        self.clock = clock
        self.providers = providers
        self.payments = payments
        self.keys = IdempotencyKeys(database: database, clock: clock)
        self.admission = SeatAdmission(limit: SeatAdmission.perVariant)
        self.batches = CheckoutBatches(maxBatch: Self.maxBatch, runners: Self.batchRunners) { [database, clock] batch in
            try await Self.reserve(batch, on: database, clock: clock)
        }
        self.completions = CheckoutBatches(maxBatch: Self.maxCompletions, runners: Self.batchRunners) { [database] batch in
            try await Self.record(batch, on: database)
            return batch.map { _ in () }
        }
        self.baseURL = baseURL
        self.buyerPages = buyerPages
    }

    /// Where a buyer reads the order: its page, or its JSON on a server without pages.
    package static func orderPagePath(_ order: OrderID, accessToken: String, pages: Bool) -> String {
        (pages ? "/my-tickets/orders/\(order)" : "/api/v1/public/orders/\(order)") + "?token=" + URLForm.escape(accessToken)
    }

    /// Places an order under an Idempotency-Key: the 201 answer, or the key's earlier answer again.
    /// - Throws: `IdempotencyConflict`, `ValidationFailure` (422), `PlatformError` (404 no live event,
    ///   409 not enough seats, 400 a redirect outside the event's origins), `ProviderError`,
    ///   `DatabaseUnavailable` (503, also after 30 s in a variant's `SeatAdmission` queue
    ///   without a checkout of the variant ending; a one-line cart queued for its variant's batch
    ///   waits for the batches ahead without that bound), `CancellationError` when cancelled
    ///   while queued in `SeatAdmission`, before joining a reserve batch, or before a
    ///   connection is had.
    package func place(_ input: CheckoutInput, idempotency: IdempotentRequest) async throws -> IdempotentAnswer {
        switch try await run(input, idempotency: idempotency) {
        case let .placed(_, answer), let .earlier(answer): answer
        }
    }

    /// Places an order without an Idempotency-Key (seeding, benchmarks); throws as the other `place`.
    package func place(_ input: CheckoutInput) async throws -> PlacedOrder {
        guard case let .placed(placed, _) = try await run(input, idempotency: nil) else { throw PlatformError.conflict("unexpected earlier answer") }
        return placed
    }

    enum Outcome {
        case placed(PlacedOrder, IdempotentAnswer)
        case earlier(IdempotentAnswer)
    }

    private func run(_ input: CheckoutInput, idempotency: IdempotentRequest?) async throws -> Outcome {
        let provider = try validated(input)
        let accessToken = SecretToken.make(marker: "ord_tok_")
        let batchable = Self.batchable(input)
        let reservation: Reservation
        do {
            if let variant = batchable, !shortVariants.isShort(variant), let batched = try await batches.run(variant, BatchedReservation(
                scope: AuditScope.current, idempotency: idempotency) { sql, seats, keyClaimed in
                    try await reserve(input, provider: provider, accessToken: accessToken, idempotency: idempotency, keyClaimed: keyClaimed,
                                      holding: seats, on: sql)
                }) {
                reservation = batched
            } else {
                reservation = try await admission.admitted(to: input.cart.lines.map(\.variantID)) {
                    try await database.transaction { sql in
                        try await reserve(input, provider: provider, accessToken: accessToken, idempotency: idempotency, on: sql)
                    }
                }
            }
        } catch {
            if let variant = batchable, input.cart.lines[0].quantity == 1, SeatReservation.isShortage(error) { shortVariants.refused(variant) }
            throw error
        }
        switch reservation {
        case let .earlier(answer):
            return .earlier(answer)
        case let .free(placed, answer):
            return .placed(placed, answer)
        case let .reserved(order, request):
            guard let provider else { throw PlatformError.conflict("an order to pay needs a provider") }
            let session = try await openCheckout(request, of: order, with: provider, idempotency: idempotency)
            return try await complete(order, session: session, accessToken: accessToken, idempotency: idempotency)
        }
    }

    // MARK: 1. Validate

    /// The provider the buyer chose; nil when none was named (only a free order may do without).
    /// - Throws: `ValidationFailure` listing every bad field of the cart and the buyer.
    private func validated(_ input: CheckoutInput) throws -> (any PaymentProvider)? {
        var check = Validator()
        input.cart.check(into: &check)
        check.check(TextRules.isEmail(input.email), "email", "must be an email address")
        if let name = input.name { check.check(TextRules.isPresent(name, max: 200), "name", "must be 1 to 200 characters") }
        let provider = input.provider.flatMap { providers.provider($0) }
        if input.provider != nil {
            check.check(provider != nil, "provider", "must be one of: \(providers.ids.joined(separator: ", "))")
        }
        if input.creditUse != nil {
            check.check(providers.provider(Self.creditProvider) != nil, "use_credit", "buyer credit is not enabled on this platform")
        }
        try check.throwIfFailed()
        return provider
    }

    // MARK: 2. Reserve

    enum Reservation: Sendable {
        case earlier(IdempotentAnswer)
        /// The pending order holding its seats, and what the provider is asked to sell.
        case reserved(Order, CheckoutRequest)
        /// An order of total 0, paid in the transaction that took its seats.
        case free(PlacedOrder, IdempotentAnswer)
    }

    /// Orders of total 0 are recorded as paid through this provider id, which no plugin has.
    package static let freeProvider = "free"
    package static let boxOfficeProvider = Order.boxOfficeProvider
    /// The provider id of orders paid wholly with buyer credit, in the transaction that takes their seats.
    package static let creditProvider = "credits"

    /// The credit part of an order of `total` (minor units), from the wallet of the buyer's session.
    /// - Throws: `BuyerSessionRequired` (401) without a session, `InsufficientCredit` (402) when the
    ///   provider is `credits` and the wallet cannot pay all, or an amount asked is more than it has.
    private func creditPart(of total: Money, _ input: CheckoutInput, on sql: any SQLDatabase) async throws -> (wallet: WalletID, amount: Int64)? {
        let use = input.creditUse ?? (input.provider == Self.creditProvider ? .all : nil)
        guard let use, total.minorUnits > 0, input.boxOffice == nil else { return nil }
        guard let email = input.walletEmail else { throw BuyerSessionRequired() }
        let wallets = WalletRepository(sql)
        let wallet = try await wallets.ensureWallet(email: email, at: clock.now())
        try await CreditLedger().expireDue(wallet, total.currency, now: clock.now(), on: sql)
        let balance = try await wallets.balance(wallet, currency: total.currency)
        let wanted: Int64 = switch use {
        case let .amount(amount): min(amount, total.minorUnits)
        case .all: input.provider == Self.creditProvider ? total.minorUnits : min(balance.spendable, total.minorUnits)
        }
        if input.provider == Self.creditProvider, case let .amount(asked) = use, asked < total.minorUnits {
            throw ValidationFailure(field: "use_credit", "must cover the total (\(total.minorUnits)) when the provider is credits; name another provider for the rest")
        }
        if wanted > balance.spendable { throw InsufficientCredit(wanted: Money(minorUnits: wanted, currency: total.currency), balance: balance) }
        return wanted > 0 ? (wallet, wanted) : nil
    }

    /// The reserve step in the caller's transaction; in a batch, the seats of an order not paid
    /// here are left to `seats`, which the batch takes at its end, and its order to the batch's
    /// insert. `keyClaimed`: the batch claimed the key already.
    private func reserve(_ input: CheckoutInput, provider: (any PaymentProvider)?, accessToken: String,
                         idempotency: IdempotentRequest?, keyClaimed: Bool = false, holding seats: DeferredSeats? = nil,
                         on sql: any SQLDatabase) async throws -> Reservation {
        let now = clock.now()
        let minimumMinutes = provider?.minimumCheckoutMinutes ?? 0
        if let idempotency, !keyClaimed, let earlier = try await keys.claim(idempotency, at: now, on: sql) { return .earlier(earlier) }
        let live = try await BatchReads.value("live-event:\(input.eventID)") { try await EventRepository(sql).findLiveWithVariants(input.eventID) }
        guard let (event, list) = live else { throw PlatformError.notFound("event") }
        try checkRedirect(input.successURL, field: "success_url", event: event)
        try checkRedirect(input.cancelURL, field: "cancel_url", event: event)
        let variants = Dictionary(uniqueKeysWithValues: list.map { ($0.id, $0) })
        let priced = try input.cart.price(variants, currency: event.currency, at: now)
        let free = priced.total.minorUnits == 0
        let credit = try await creditPart(of: priced.total, input, on: sql)
        let paidByCredit = credit?.amount == priced.total.minorUnits
        let paidNow = free || input.boxOffice != nil || paidByCredit
        let providerID: String
        if free {
            providerID = Self.freeProvider
        } else if input.boxOffice != nil {
            providerID = Self.boxOfficeProvider
        } else if paidByCredit {
            providerID = Self.creditProvider
        } else if let provider, provider.id != Self.creditProvider {
            // Before any seat is taken: an amount the provider would refuse reserves nothing.
            let due = Money(minorUnits: priced.total.minorUnits - (credit?.amount ?? 0), currency: priced.total.currency)
            let unitPrices = priced.lines.map { Money(minorUnits: $0.unitPrice, currency: priced.total.currency) }
            if let reason = provider.refusal(of: due, unitPrices: unitPrices) { throw ValidationFailure(field: "provider", reason) }
            providerID = provider.id
        } else if credit != nil {
            throw ValidationFailure(field: "provider", "is required for the part credit does not pay; one of: \(providers.ids.filter { $0 != Self.creditProvider }.joined(separator: ", "))")
        } else {
            throw ValidationFailure(field: "provider", "is required for an order that costs something; one of: \(providers.ids.joined(separator: ", "))")
        }
        var order = Order(
            id: .generate(at: now), organizerID: event.organizerID, eventID: event.id, status: .pending, seats: .held, email: input.email,
            buyerName: input.name, total: priced.total, refunded: 0, provider: providerID,
            providerSession: nil, providerPayment: nil,
            checkoutURL: nil, reviewReason: nil, disputeReason: nil,
            expiresAt: now.adding(minutes: Int64(max(event.reservationMinutes, minimumMinutes))), paidAt: nil,
            createdAt: now, updatedAt: now, lines: priced.lines)
        order.creditAmount = credit?.amount ?? 0
        // Told, written and its credit held before the seats are taken: a hot variant's row stays
        // locked from its update to the commit, and every checkout of it waits for that. Every
        // path locks an order's rows in this order: the order, the wallet, then the seats.
        try await payments.observers.handle(.placed(order), at: now, on: sql)
        if let seats, credit == nil, !paidNow {
            try await OrderRepository(sql).insertInBatch(order, accessTokenHash: SecretToken.hash(accessToken))
            seats.hold(priced.lines, of: variants)
        } else if credit == nil, order.lines.count == 1, DatabaseEngine(of: sql) == .postgres {
            // The common cart: one statement takes the seats and writes the order and its line
            // (no other transaction sees the new order's row, so the lock order holds), the
            // last of the transaction unless the order is paid here.
            guard try await OrderRepository(sql).insertTakingSeats(order, accessTokenHash: SecretToken.hash(accessToken)) else {
                throw SeatReservation.shortage(of: order.lines[0], variants)
            }
        } else {
            try await OrderRepository(sql).insert(order, accessTokenHash: SecretToken.hash(accessToken))
            // The credit part is held in this transaction: a wallet that cannot pay it reserves nothing.
            if let credit {
                try await CreditLedger().hold(order, wallet: credit.wallet, amount: Money(minorUnits: credit.amount, currency: order.total.currency),
                                              at: now, on: sql)
            }
            try await SeatReservation(sql).take(priced.lines, of: variants)
        }
        if paidNow {
            // Nothing to pay, paid at the door or with credit: paid here, so its tickets and confirmation follow in this transaction.
            let reference = input.boxOffice.map { "box_office:\($0):\(order.id)" } ?? (paidByCredit ? "credits:\(order.id)" : "free")
            _ = try await payments.apply(.paid(order: order.id, amount: order.providerDue, currency: order.total.currency.code,
                                               paymentReference: reference), provider: providerID, on: sql)
            guard let paid = try await OrderRepository(sql).find(order.id) else { throw PlatformError.notFound("order") }
            let json = try JSONCoding.encoder.encode(PlacedOrderBody(order: PublicOrderBody(paid), checkoutUrl: nil, accessToken: accessToken))
            let answer = IdempotentAnswer(response: StoredResponse(status: 201, body: String(decoding: json, as: UTF8.self)), replayed: false)
            if let idempotency { try await keys.complete(idempotency, with: answer.response, on: sql) }
            return .free(PlacedOrder(order: paid, accessToken: accessToken), answer)
        }
        let orderPage = baseURL + Self.orderPagePath(order.id, accessToken: accessToken, pages: buyerPages)
        return .reserved(order, CheckoutRequest(
            orderID: order.id, eventTitle: event.title,
            lines: order.creditAmount > 0
                // Providers charge the sum of the lines: the credit's part shows as already paid.
                ? [.init(name: "\(event.title): tickets, less \(Money(minorUnits: order.creditAmount, currency: order.total.currency)) of credit",
                         unitPrice: order.providerDue, quantity: 1)]
                : order.lines.map { .init(name: variants[$0.variantID]?.name ?? "Ticket", unitPrice: $0.unitPrice, quantity: $0.quantity) },
            total: Money(minorUnits: order.providerDue, currency: order.total.currency), email: order.email, successURL: input.successURL ?? orderPage, cancelURL: input.cancelURL ?? orderPage,
            expiresAt: order.expiresAt, idempotencyKey: "checkout-\(order.id)"))
    }

    /// Buyers may only be sent back to the event's allowlisted origins or to this platform.
    private func checkRedirect(_ url: String?, field: String, event: Event) throws {
        guard let url else { return }
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host,
              scheme == "https" || scheme == "http" else {
            throw PlatformError.invalid(field: field, detail: "must be an http(s) URL")
        }
        let origin = "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
        let allowed = event.redirectOrigins + [Self.origin(of: baseURL)].compactMap { $0 }
        guard allowed.contains(origin) else {
            throw PlatformError.invalid(field: field, detail: "\(origin) is not among the event's redirect_origins")
        }
    }

    static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return nil }
        return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }

    // MARK: 3. Open the provider's checkout

    /// No checkout, no hold: when the provider fails, the seats go back at once and the key may be used again.
    func openCheckout(_ request: CheckoutRequest, of order: Order, with provider: any PaymentProvider,
                              idempotency: IdempotentRequest?) async throws -> CheckoutSession {
        do {
            return try await provider.createCheckout(request)
        } catch {
            let (keys, payments, id) = (self.keys, self.payments, order.id)
            _ = try? await database.transaction { sql in
                if let idempotency { try await keys.release(idempotency, on: sql) }
                return try await payments.apply(.failed(order: id, reason: "checkout"), provider: provider.id, on: sql)
            }
            throw error
        }
    }

    // MARK: 4. Complete

    func complete(_ pending: Order, session: CheckoutSession, accessToken: String,
                          idempotency: IdempotentRequest?) async throws -> Outcome {
        var order = pending
        order.providerSession = session.id
        order.checkoutURL = session.url
        let placed = PlacedOrder(order: order, accessToken: accessToken)
        let json = try JSONCoding.encoder.encode(PlacedOrderBody(order: PublicOrderBody(order), checkoutUrl: session.url, accessToken: accessToken))
        let answer = IdempotentAnswer(response: StoredResponse(status: 201, body: String(decoding: json, as: UTF8.self)), replayed: false)
        let record = RecordedCheckout(order: order.id, session: session.id, url: session.url, at: clock.now(),
                                      key: idempotency.map { ($0.scope, $0.key) }, response: answer.response)
        let recorded: Void?
        do {
            recorded = try await completions.run(order.eventID, record)
        } catch is CancellationError {
            // The provider's checkout is open: its session is recorded alone rather than given up at the queue.
            recorded = nil
        }
        if recorded == nil { try await Self.record([record], on: database) }
        return .placed(placed, answer)
    }
}
