import Foundation
import PluginKit
import Testing
@testable import PayPal

@Suite struct PayPalOrderRequestTests {
    static func checkout(_ total: Money, title: String = "Swift Summer Concert") -> CheckoutRequest {
        CheckoutRequest(orderID: OrderID.generate(at: Timestamp(milliseconds: 1_780_000_000_000)), eventTitle: title,
                        lines: [.init(name: "GA", unitPrice: total.minorUnits, quantity: 1)], total: total, email: "buyer@example.com",
                        successURL: "https://shop.example/ok", cancelURL: "https://shop.example/cancel",
                        expiresAt: Timestamp(milliseconds: 1_780_000_900_000), idempotencyKey: "checkout-ord_x")
    }

    static func json(_ request: PayPalOrderRequest) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: JSONCoding.encoder.encode(request)) as? [String: Any])
    }

    /// The fields as PayPal's Orders v2 API names them, and the amount in the currency's exponent.
    @Test func theBodyIsPayPalsOrdersV2Shape() throws {
        let checkout = Self.checkout(Money(minorUnits: 1_250, currency: .eur))
        let body = try Self.json(PayPalOrderRequest(checkout, returnURL: "https://tickets.example/paypal/return", cancelURL: "https://shop.example/cancel"))
        #expect(body["intent"] as? String == "CAPTURE")
        let unit = try #require((body["purchase_units"] as? [[String: Any]])?.first)
        let id = checkout.orderID.rawValue
        #expect(unit["reference_id"] as? String == id && unit["custom_id"] as? String == id && unit["invoice_id"] as? String == id)
        #expect(unit["description"] as? String == "Swift Summer Concert")
        #expect(unit["amount"] as? [String: String] == ["currency_code": "EUR", "value": "12.50"])
        let context = (((body["payment_source"] as? [String: Any])?["paypal"] as? [String: Any])?["experience_context"] as? [String: String])
        #expect(context == ["return_url": "https://tickets.example/paypal/return", "cancel_url": "https://shop.example/cancel",
                            "user_action": "PAY_NOW", "shipping_preference": "NO_SHIPPING"])
        #expect(PayPalOrderRequest.requestID(checkout) == "paypal-checkout-ord_x")
    }

    @Test func amountsFollowTheCurrencysExponentAndTitlesFitPayPalsLimit() throws {
        let yen = try Self.json(PayPalOrderRequest(Self.checkout(Money(minorUnits: 1_200, currency: .jpy), title: String(repeating: "x", count: 300)),
                                                   returnURL: "https://r", cancelURL: "https://c"))
        let unit = try #require((yen["purchase_units"] as? [[String: Any]])?.first)
        #expect(unit["amount"] as? [String: String] == ["currency_code": "JPY", "value": "1200"])
        #expect((unit["description"] as? String)?.count == 127)
    }

    @Test func hufAndTWDAreWholeUnitsAtPayPal() throws {
        let huf = try #require(Currency(code: "HUF"))
        #expect(try Money(minorUnits: 120_000, currency: huf).payPalValue() == "1200")
        #expect(throws: ProviderError.self) { try Money(minorUnits: 120_050, currency: huf).payPalValue() }
        #expect(try Money(minorUnits: 1_250, currency: .eur).payPalValue() == "12.50")
        #expect(try Money(minorUnits: 1_200, currency: .jpy).payPalValue() == "1200")
    }

    @Test func aRefundEventWithoutPayPalsRunningTotalIsLeftToAnAdmin() throws {
        let payload = #"{"id":"WH-1","event_type":"PAYMENT.CAPTURE.REFUNDED","resource":{"id":"REF-1","status":"COMPLETED","amount":{"currency_code":"EUR","value":"10.00"},"links":[{"href":"https://api-m.paypal.com/v2/payments/captures/CAP-1","rel":"up","method":"GET"}]}}"#
        let handler = try #require(PayPalWebhooks.handlers["PAYMENT.CAPTURE.REFUNDED"])
        #expect(throws: WebhookPayloadError.self) { try handler(WebhookEnvelope(eventID: "WH-1", eventType: "PAYMENT.CAPTURE.REFUNDED", payload: payload)) }
        let reversal = #"{"id":"WH-2","event_type":"PAYMENT.CAPTURE.REVERSED","resource":{"id":"REV-1","status":"COMPLETED","amount":{"currency_code":"EUR","value":"-50.00"},"seller_payable_breakdown":{"total_refunded_amount":{"currency_code":"EUR","value":"50.00"}},"links":[{"href":"https://api-m.paypal.com/v2/payments/captures/CAP-1","rel":"up","method":"GET"}]}}"#
        let reversed = try #require(PayPalWebhooks.handlers["PAYMENT.CAPTURE.REVERSED"])
        #expect(try reversed(WebhookEnvelope(eventID: "WH-2", eventType: "PAYMENT.CAPTURE.REVERSED", payload: reversal))
                == .disputeClosedPayment(paymentReference: "CAP-1", dispute: ProviderDispute(id: "REV-1", amount: 5_000, currency: "EUR",
                                                                                            reason: "PayPal reversed the payment"), outcome: .lost))
    }

    @Test func aDuplicateBatchIsRecognisedAsPayPalAnswersIt() {
        let real = Data(#"{"name":"USER_BUSINESS_ERROR","message":"User business error.","debug_id":"x","details":[{"field":"SENDER_BATCH_ID","location":"body","issue":"Batch with given sender_batch_id already exists","link":[{"href":"https://api-m.paypal.com/v1/payments/payouts/5UXD2E8A7EBQJ","rel":"self"}]}],"links":[]}"#.utf8)
        #expect(PayPalProvider.duplicate(in: real) == .some("5UXD2E8A7EBQJ"))
        let unlinked = Data(#"{"name":"USER_BUSINESS_ERROR","details":[{"field":"SENDER_BATCH_ID","issue":"Batch with given sender_batch_id already exists"}]}"#.utf8)
        #expect(PayPalProvider.duplicate(in: unlinked) == .some(nil))
        let other = Data(#"{"name":"VALIDATION_ERROR","details":[{"field":"items[0].receiver","issue":"Receiver is invalid"}]}"#.utf8)
        #expect(PayPalProvider.duplicate(in: other) == nil)
        let tooLong = Data(#"{"name":"VALIDATION_ERROR","details":[{"field":"sender_batch_header.sender_batch_id","issue":"Value is too long"}]}"#.utf8)
        #expect(PayPalProvider.duplicate(in: tooLong) == nil, "a bad batch id is not a duplicate")
        let odd = Data(#"{"name":"USER_BUSINESS_ERROR","details":[{"field":"SENDER_BATCH_ID","issue":"exists","link":[{"href":"https://api-m.paypal.com/v1/payments/payouts/ABC123"}],"extra":{"x":[1]}}],"links":"none"}"#.utf8)
        #expect(PayPalProvider.duplicate(in: odd) == .some("ABC123"), "read loosely: no rel, unexpected shapes elsewhere")
    }

    @Test func payPalPaysHUFInWholeForints() {
        let paypal = PayPalProvider(configuration: PayPalConfiguration(clientID: "c", clientSecret: "s", webhookID: "w"), baseURL: "http://x",
                                    certificates: PayPalCertificates(fetcher: ServedCertificates(), anchors: []))
        let huf = Currency(code: "HUF")!
        #expect(paypal.payable(Money(minorUnits: 123_456, currency: huf)) == Money(minorUnits: 123_400, currency: huf))
        #expect(paypal.payable(Money(minorUnits: 123_456, currency: .eur)) == Money(minorUnits: 123_456, currency: .eur))
    }
}
