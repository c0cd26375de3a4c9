import Foundation
import HTTPTypes
import Platform
import PlatformTesting
import Synchronization
import Testing
@testable import PayPal

/// Orders v2 checkout end to end on both engines: the order request, capture on the buyer's
/// return or on `CHECKOUT.ORDER.APPROVED`, pending, denied, refunds and reversals.
@Suite struct PayPalCheckoutTests {
    @Test(arguments: TestEngines.all)
    func theOrderRequestNamesOurOrderAndTheBuyerComesBackToCapture(engine: DatabaseEngine) async throws {
        try await withPayPal(engine) { h, fake, _ in
            let (order, paypal) = try await h.placePayPalOrder()
            let create = try #require(fake.requests.last { $0.path == "/v2/checkout/orders" })
            #expect(create.method == "POST")
            let link = try fake.approve(paypal)
            #expect(link.hasPrefix("\(PlatformConfig().baseURL)/paypal/return?order=\(order)&next="))

            let back = try await h.returnFromPayPal(link)
            #expect(back.status == .seeOther)
            #expect(back.headers[.location]?.contains("/my-tickets/orders/\(order)?token=") == true, "sent on to the order page")
            #expect(try await h.status(of: order) == "paid")
            #expect(try await h.variantCounts() == (2, 0))
            let capture = try #require(fake.capture(of: paypal))
            #expect(fake.captureStatus(capture) == "COMPLETED")

            // PayPal's approval event and capture event arrive afterwards: nothing is captured again.
            #expect(try await h.deliverPayPal(try fake.approvedEvent(paypal)) == .ok)
            #expect(try await h.deliverPayPal(try fake.captureEvent("PAYMENT.CAPTURE.COMPLETED", capture: capture)) == .ok)
            await h.drain()
            #expect(fake.captureCount == 1)
            #expect(try await h.inboxCount(status: "processed") == 2)
            #expect(try await h.status(of: order) == "paid")
        }
    }

    @Test(arguments: TestEngines.all)
    func theApprovalEventAloneCapturesAndPays(engine: DatabaseEngine) async throws {
        try await withPayPal(engine) { h, fake, _ in
            let (order, paypal) = try await h.placePayPalOrder()
            _ = try fake.approve(paypal)
            #expect(try await h.deliverPayPal(try fake.approvedEvent(paypal)) == .ok)
            #expect(try await h.status(of: order) == "pending", "captured by the worker, not the request")
            await h.drain()
            #expect(try await h.status(of: order) == "paid")
            #expect(fake.captureCount == 1)
            #expect(try await h.inboxCount(status: "processed") == 1)
            let capture = fake.requests.filter { $0.path.hasSuffix("/capture") }
            #expect(capture.count == 1)
        }
    }

    @Test(arguments: TestEngines.all)
    func aPendingCaptureWaitsForItsCompletion(engine: DatabaseEngine) async throws {
        try await withPayPal(engine) { h, fake, _ in
            let (order, paypal) = try await h.placePayPalOrder()
            fake.nextCaptures("PENDING")
            #expect(try await h.returnFromPayPal(try fake.approve(paypal)).status == .seeOther)
            #expect(try await h.status(of: order) == "pending")
            let capture = try #require(fake.capture(of: paypal))
            #expect(try await h.deliverPayPal(try fake.captureEvent("PAYMENT.CAPTURE.PENDING", capture: capture)) == .ok)
            await h.drain()
            #expect(try await h.status(of: order) == "pending")
            fake.settleCapture(capture, as: "COMPLETED")
            #expect(try await h.deliverPayPal(try fake.captureEvent("PAYMENT.CAPTURE.COMPLETED", capture: capture)) == .ok)
            await h.drain()
            #expect(try await h.status(of: order) == "paid")
            #expect(try await h.variantCounts() == (2, 0))
        }
    }

    @Test(arguments: TestEngines.all)
    func aDeclinedCaptureFailsTheOrderAndReleasesItsSeats(engine: DatabaseEngine) async throws {
        try await withPayPal(engine) { h, fake, _ in
            let (order, paypal) = try await h.placePayPalOrder()
            fake.nextCaptures("DECLINED")
            #expect(try await h.returnFromPayPal(try fake.approve(paypal)).status == .seeOther)
            #expect(try await h.status(of: order) == "failed")
            #expect(try await h.variantCounts() == (0, 0))

            // Pending first, then denied by PayPal's review.
            let (second, other) = try await h.placePayPalOrder()
            fake.nextCaptures("PENDING")
            #expect(try await h.returnFromPayPal(try fake.approve(other)).status == .seeOther)
            let capture = try #require(fake.capture(of: other))
            fake.settleCapture(capture, as: "DECLINED")
            #expect(try await h.deliverPayPal(try fake.captureEvent("PAYMENT.CAPTURE.DENIED", capture: capture)) == .ok)
            await h.drain()
            #expect(try await h.status(of: second) == "failed")
            #expect(try await h.variantCounts() == (0, 0))
        }
    }

    @Test(arguments: TestEngines.all)
    func anApprovalAfterTheReservationEndedIsNotCaptured(engine: DatabaseEngine) async throws {
        try await withPayPal(engine) { h, fake, _ in
            let (order, paypal) = try await h.placePayPalOrder()
            h.clock.advance(minutes: 16)
            try await h.platform.expiry.run()
            #expect(try await h.status(of: order) == "expired")
            let back = try await h.returnFromPayPal(try fake.approve(paypal))
            #expect(back.status == .seeOther)
            #expect(try await h.deliverPayPal(try fake.approvedEvent(paypal)) == .ok)
            await h.drain()
            #expect(fake.captureCount == 0, "the buyer is not charged")
            #expect(try await h.status(of: order) == "expired")
        }
    }

    @Test(arguments: TestEngines.all)
    func aCaptureKeepsTheReservationAndAPendingOneCompletingLateIsALatePayment(engine: DatabaseEngine) async throws {
        try await withPayPal(engine) { h, fake, _ in
            let (order, paypal) = try await h.placePayPalOrder()
            h.clock.advance(minutes: 14)
            fake.nextCaptures("PENDING")
            // While PayPal is asked, the reservation (15 minutes) is kept: the expiry worker runs
            // at minute 16, in the middle of the call, and leaves the order alone.
            let during = Mutex<String?>(nil)
            fake.beforeNextCapture {
                h.clock.advance(minutes: 2)
                _ = try? await h.platform.expiry.run()
                let status = try? await h.status(of: order)
                during.withLock { $0 = status }
            }
            #expect(try await h.returnFromPayPal(try fake.approve(paypal)).status == .seeOther)
            #expect(during.withLock { $0 } == "pending")
            // The capture is pending: nothing taken yet, so the reservation's end is its own again.
            try await h.platform.expiry.run()
            #expect(try await h.status(of: order) == "expired")
            #expect(try await h.variantCounts() == (0, 0))
            let capture = try #require(fake.capture(of: paypal))
            fake.settleCapture(capture, as: "COMPLETED")
            #expect(try await h.deliverPayPal(try fake.captureEvent("PAYMENT.CAPTURE.COMPLETED", capture: capture)) == .ok)
            await h.drain()
            #expect(try await h.status(of: order) == "paid", "seats still free: the late payment is kept")
            #expect(try await h.variantCounts() == (2, 0))
        }
    }

    @Test(arguments: TestEngines.all)
    func aBuyerPayPalStillWaitsForGoesBackToPayPalAndHoldsNoSeatsLonger(engine: DatabaseEngine) async throws {
        try await withPayPal(engine) { h, fake, _ in
            let (order, paypal) = try await h.placePayPalOrder()
            let expires = try await h.order(order).string("expires_at")
            // Back without approving: nothing captured, the reservation as it was.
            let link = try fake.approve(paypal)
            fake.requirePayerAction(paypal)
            let back = try await h.returnFromPayPal(link)
            #expect(back.status == .seeOther)
            #expect(back.headers[.location]?.contains("/checkoutnow?token=\(paypal)") == true, "sent back to PayPal's payer action")
            #expect(try await h.order(order).string("expires_at") == expires, "no seats held longer")
            #expect(fake.captureCount == 0)
            // Asked again and again: still no longer.
            for _ in 0..<3 { _ = try await h.returnFromPayPal(link) }
            #expect(try await h.order(order).string("expires_at") == expires)
            #expect(try await h.status(of: order) == "pending")
        }
    }

    @Test(arguments: TestEngines.all)
    func aForgedReturnLinkIsNotFoundAndCapturesNothing(engine: DatabaseEngine) async throws {
        try await withPayPal(engine) { h, fake, _ in
            let (order, paypal) = try await h.placePayPalOrder()
            let link = try fake.approve(paypal)
            let forged = link.replacingOccurrences(of: "next=", with: "next=https%3A%2F%2Fevil.example%2F&x=")
            #expect(try await h.returnFromPayPal(forged).status == .notFound)
            let otherOrder = link.replacingOccurrences(of: "token=\(paypal)", with: "token=FAKEORD9999999999999")
            #expect(try await h.returnFromPayPal(otherOrder).status == .notFound)
            #expect(fake.captureCount == 0)
            #expect(try await h.status(of: order) == "pending")
        }
    }

    @Test(arguments: TestEngines.all)
    func whenPayPalIsDownTheBuyerIsToldAndTheApprovalEventCapturesLater(engine: DatabaseEngine) async throws {
        try await withPayPal(engine, maxRetries: 0) { h, fake, _ in
            let (order, paypal) = try await h.placePayPalOrder()
            let link = try fake.approve(paypal)
            fake.inject(503, name: "SERVICE_UNAVAILABLE", issue: "SERVICE_UNAVAILABLE", path: "/v2/checkout/orders/\(paypal)/capture", times: 2)
            let back = try await h.returnFromPayPal(link)
            #expect(back.status == .ok)
            #expect(back.text.contains("Your payment is on its way"))
            #expect(try await h.deliverPayPal(try fake.approvedEvent(paypal)) == .ok)
            await h.drain()
            #expect(try await h.inboxCount(status: "failed") == 1, "tried again later")
            h.clock.advance(minutes: 5)
            await h.drain()
            #expect(try await h.status(of: order) == "paid")
            #expect(fake.captureCount == 1)
        }
    }

    @Test(arguments: TestEngines.all)
    func refundsPartAndReversalsAreBookedFromPayPalsRunningTotal(engine: DatabaseEngine) async throws {
        try await withPayPal(engine) { h, fake, _ in
            let (order, paypal) = try await h.placePayPalOrder()
            #expect(try await h.returnFromPayPal(try fake.approve(paypal)).status == .seeOther)
            let capture = try #require(fake.capture(of: paypal))
            let refund = try await h.client.post("/api/v1/orders/\(order)/refunds", key: h.organizerKey, json: #"{"amount":1500,"reason":"one guest"}"#)
            #expect(refund.status == .accepted || refund.status == .created || refund.status == .ok, "\(refund.text)")
            let sent = try #require(fake.requests.last { $0.path == "/v2/payments/captures/\(capture)/refund" })
            #expect(sent.method == "POST")
            for event in fake.refundEvents(capture: capture) { #expect(try await h.deliverPayPal(event) == .ok) }
            await h.drain()
            var body = try await h.order(order)
            #expect(body.string("status") == "partially_refunded")
            #expect(body.json["refunded"] as? Int == 1_500)

            // PayPal takes the rest back (a chargeback decided for the buyer): a lost dispute of it.
            let reversal = try fake.reverse(capture: capture, amount: 3_500)
            #expect(try await h.deliverPayPal(reversal) == .ok)
            #expect(try await h.deliverPayPal(fake.delivery("PAYMENT.CAPTURE.REVERSED", resource: String(buffer: reversal.body)
                .components(separatedBy: #""resource":"#)[1].components(separatedBy: #","links":[]}"#)[0])) == .ok, "the same reversal again")
            await h.drain()
            body = try await h.order(order)
            #expect(body.string("dispute_reason") == "PayPal reversed the payment")
            #expect(body.json["refunded"] as? Int == 1_500)
            #expect(try await h.inboxCount(status: "processed") == 3)
            let balance = try await h.balance()
            #expect(balance["pending"] as? Int == 0, "the organizer's whole net is gone: 15.00 refunded, 35.00 reversed")
        }
    }

    @Test(arguments: TestEngines.all)
    func paymentsOlderThan180DaysAreNotRefundedThroughPayPal(engine: DatabaseEngine) async throws {
        try await withPayPal(engine) { h, fake, paypal in
            #expect(paypal.refundCapabilities == RefundCapabilities(.partial, timeLimitDays: 180))
            let (order, id) = try await h.placePayPalOrder()
            #expect(try await h.returnFromPayPal(try fake.approve(id)).status == .seeOther)
            h.clock.advance(minutes: 181 * 24 * 60)
            let refund = try await h.client.post("/api/v1/orders/\(order)/refunds", key: h.organizerKey, json: #"{"amount":1500}"#)
            #expect(refund.status == .conflict && refund.text.contains("180 days"), "\(refund.text)")
            #expect(!fake.requests.contains { $0.path.hasSuffix("/refund") }, "PayPal is not asked")
        }
    }

    @Test(arguments: TestEngines.all)
    func anAmountThatDiffersFromTheOrderSendsItToReview(engine: DatabaseEngine) async throws {
        try await withPayPal(engine) { h, fake, paypal in
            let (order, _) = try await h.placePayPalOrder()
            let fixture = PayPalFixture(fake: fake, paypal: paypal)
            let wrong = try fixture.delivery(eventType: "PAYMENT.CAPTURE.COMPLETED", eventID: "WH-WRONG-1", order: try #require(OrderID(order)),
                                             amount: 4_000, currency: "EUR", at: h.clock.now())
            #expect(try await h.client.client.execute(uri: "/webhooks/paypal", method: .post, headers: wrong.headers, body: wrong.body) { $0.status } == .ok)
            await h.drain()
            #expect(try await h.status(of: order) == "review")
        }
    }
}

/// What PayPal's failures do to a checkout: an expired token is renewed once, a 429 or 5xx is
/// tried again, and an outage that lasts is the buyer's 503 with the seats given back.
@Suite struct PayPalFailureTests {
    @Test(arguments: TestEngines.all)
    func anExpiredTokenIsRenewedAndBusyAnswersAreTriedAgain(engine: DatabaseEngine) async throws {
        try await withPayPal(engine) { h, fake, _ in
            _ = try await h.placePayPalOrder()
            #expect(fake.tokensIssued == 1)
            fake.revokeTokens()
            _ = try await h.placePayPalOrder()
            #expect(fake.tokensIssued == 2, "one new token after the 401")

            fake.inject(429, name: "RATE_LIMIT_REACHED", issue: "RATE_LIMIT_REACHED", path: "/v2/checkout/orders", retryAfter: 0)
            fake.inject(500, name: "INTERNAL_SERVER_ERROR", issue: "INTERNAL_SERVICE_ERROR", path: "/v2/checkout/orders")
            let before = fake.orderCount
            _ = try await h.placePayPalOrder()
            #expect(fake.orderCount == before + 1)
            let keys = fake.requests.suffix(3).map(\.path)
            #expect(keys == Array(repeating: "/v2/checkout/orders", count: 3), "the same request three times")

            fake.inject(503, name: "SERVICE_UNAVAILABLE", issue: "SERVICE_UNAVAILABLE", path: "/v2/checkout/orders", times: 3)
            let down = try await h.placeOrder(body: h.cart(quantity: 2, provider: "paypal"))
            #expect(down.status == .serviceUnavailable, "\(down.text)")
            #expect(try await h.variantCounts() == (0, 6), "the failed checkout's seats are back")
        }
    }
}

/// PayPal's currencies and units: a currency PayPal does not take, or a fraction of a forint,
/// is refused before a seat is taken.
@Suite struct PayPalCurrencyTests {
    @Test func payPalRefusesWhatItCannotTake() throws {
        let paypal = PayPalProvider(configuration: PayPalConfiguration(clientID: "c", clientSecret: "s", webhookID: "w"), baseURL: "http://x",
                                    certificates: PayPalCertificates(fetcher: ServedCertificates(), anchors: []))
        let isk = try #require(Currency(code: "ISK")), huf = try #require(Currency(code: "HUF"))
        #expect(paypal.refusal(of: Money(minorUnits: 5_000, currency: isk), unitPrices: []) == "PayPal does not take payments in ISK")
        #expect(paypal.refusal(of: Money(minorUnits: 120_050, currency: huf), unitPrices: [])?.contains("whole units") == true)
        #expect(paypal.refusal(of: Money(minorUnits: 120_000, currency: huf), unitPrices: []) == nil)
        #expect(paypal.refusal(of: Money(minorUnits: 1, currency: .eur), unitPrices: []) == nil)
    }
}
