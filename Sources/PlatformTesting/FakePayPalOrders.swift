import Foundation
import Platform

/// Orders v2, captures and refunds as the fake PayPal answers them.
extension FakePayPal {
    func createOrder(_ request: FakePayPalRequest) throws -> (Int, String) {
        let requestID = request.headers["paypal-request-id"]
        return try state.withLock { state in
            if let requestID, let earlier = state.replies["create|\(requestID)"] { return (200, earlier.body) }
            guard request.json["intent"] as? String == "CAPTURE",
                  let unit = (request.json["purchase_units"] as? [[String: Any]])?.first,
                  let amount = unit["amount"] as? [String: Any], let code = amount["currency_code"] as? String, let value = amount["value"] as? String,
                  let currency = Currency(code: code) else {
                throw FakePayPalRefusal(status: 400, name: "INVALID_REQUEST", issue: "MISSING_REQUIRED_PARAMETER")
            }
            guard let money = Money(decimal: value, currency: currency), money.minorUnits > 0 else {
                throw FakePayPalRefusal(status: 422, name: "UNPROCESSABLE_ENTITY", issue: "DECIMAL_PRECISION")
            }
            let source = ((request.json["payment_source"] as? [String: Any])?["paypal"] as? [String: Any])?["experience_context"] as? [String: Any]
            let order = Order(id: nextID("FAKEORD", &state), customID: unit["custom_id"] as? String ?? "", amount: money,
                              status: source == nil ? "CREATED" : "PAYER_ACTION_REQUIRED", returnURL: source?["return_url"] as? String ?? "")
            state.orders[order.id] = order
            let body = orderJSON(order, state)
            if let requestID { state.replies["create|\(requestID)"] = (201, body) }
            return (201, body)
        }
    }

    func showOrder(_ id: String) throws -> (Int, String) {
        try state.withLock { state in
            guard let order = state.orders[id] else { throw FakePayPalRefusal(status: 404, name: "RESOURCE_NOT_FOUND", issue: "INVALID_RESOURCE_ID") }
            return (200, orderJSON(order, state))
        }
    }

    /// One capture per order: the same request id is answered as the first time, another is
    /// refused `ORDER_ALREADY_CAPTURED`.
    func captureOrder(_ id: String, requestID: String?) throws -> (Int, String) {
        try state.withLock { state in
            if let requestID, let earlier = state.replies["capture|\(id)|\(requestID)"] { return (200, earlier.body) }
            guard var order = state.orders[id] else { throw FakePayPalRefusal(status: 404, name: "RESOURCE_NOT_FOUND", issue: "INVALID_RESOURCE_ID") }
            guard order.captureID == nil else { throw FakePayPalRefusal(status: 422, name: "UNPROCESSABLE_ENTITY", issue: "ORDER_ALREADY_CAPTURED") }
            if state.payerActionRequired.contains(id) {
                throw FakePayPalRefusal(status: 422, name: "UNPROCESSABLE_ENTITY", issue: "PAYER_ACTION_REQUIRED")
            }
            guard order.status == "APPROVED" else { throw FakePayPalRefusal(status: 422, name: "UNPROCESSABLE_ENTITY", issue: "ORDER_NOT_APPROVED") }
            let status = state.nextCaptureStatus.isEmpty ? "COMPLETED" : state.nextCaptureStatus.removeFirst()
            let capture = Capture(id: nextID("FAKECAP", &state), orderID: id, customID: order.customID, amount: order.amount, status: status,
                                  createdAt: clock.now())
            state.captures[capture.id] = capture
            order.captureID = capture.id
            order.status = "COMPLETED"
            state.orders[id] = order
            let body = orderJSON(order, state)
            if let requestID { state.replies["capture|\(id)|\(requestID)"] = (201, body) }
            return (201, body)
        }
    }

    /// Refunds up to what is left, within 180 days of the capture.
    func refund(_ captureID: String, _ request: FakePayPalRequest) throws -> (Int, String) {
        let requestID = request.headers["paypal-request-id"]
        return try state.withLock { state in
            if let requestID, let earlier = state.replies["refund|\(captureID)|\(requestID)"] { return (200, earlier.body) }
            guard var capture = state.captures[captureID] else {
                throw FakePayPalRefusal(status: 404, name: "RESOURCE_NOT_FOUND", issue: "INVALID_RESOURCE_ID")
            }
            guard ["COMPLETED", "PARTIALLY_REFUNDED"].contains(capture.status) else {
                throw FakePayPalRefusal(status: 422, name: "UNPROCESSABLE_ENTITY", issue: "CAPTURE_FULLY_REFUNDED")
            }
            guard clock.now().milliseconds <= capture.createdAt.milliseconds + 180 * 86_400_000 else {
                throw FakePayPalRefusal(status: 422, name: "UNPROCESSABLE_ENTITY", issue: "REFUND_TIME_LIMIT_EXCEEDED")
            }
            var amount = capture.amount.minorUnits - capture.refunded
            if let asked = request.json["amount"] as? [String: Any] {
                guard asked["currency_code"] as? String == capture.amount.currency.code, let value = asked["value"] as? String,
                      let money = Money(decimal: value, currency: capture.amount.currency), money.minorUnits > 0 else {
                    throw FakePayPalRefusal(status: 422, name: "UNPROCESSABLE_ENTITY", issue: "CURRENCY_MISMATCH")
                }
                amount = money.minorUnits
            }
            guard amount <= capture.amount.minorUnits - capture.refunded else {
                throw FakePayPalRefusal(status: 422, name: "UNPROCESSABLE_ENTITY", issue: "REFUND_AMOUNT_EXCEEDED")
            }
            capture.refunded += amount
            capture.status = capture.refunded == capture.amount.minorUnits ? "REFUNDED" : "PARTIALLY_REFUNDED"
            state.captures[captureID] = capture
            let refund = Refund(id: nextID("FAKEREF", &state), captureID: captureID, amount: Money(minorUnits: amount, currency: capture.amount.currency),
                                totalAfter: capture.refunded, customID: request.json["custom_id"] as? String)
            state.refunds[refund.id] = refund
            let body = Self.json(refundObject(refund, state))
            if let requestID { state.replies["refund|\(captureID)|\(requestID)"] = (201, body) }
            return (201, body)
        }
    }

    // MARK: Resources

    static func amount(_ money: Money) -> [String: String] { ["currency_code": money.currency.code, "value": money.decimalString] }

    func orderObject(_ order: Order, _ state: State) -> [String: Any] {
        var unit: [String: Any] = ["reference_id": order.customID, "custom_id": order.customID, "invoice_id": order.customID,
                                   "amount": Self.amount(order.amount)]
        if let id = order.captureID, let capture = state.captures[id] { unit["payments"] = ["captures": [captureObject(capture, state)]] }
        var links: [[String: String]] = [["href": "\(state.base)/v2/checkout/orders/\(order.id)", "rel": "self", "method": "GET"]]
        if order.status == "CREATED" || order.status == "PAYER_ACTION_REQUIRED" {
            links.append(["href": "\(state.base)/checkoutnow?token=\(order.id)", "rel": order.status == "CREATED" ? "approve" : "payer-action",
                          "method": "GET"])
        }
        return ["id": order.id, "intent": "CAPTURE", "status": order.status, "purchase_units": [unit], "links": links]
    }

    func orderJSON(_ order: Order, _ state: State) -> String { Self.json(orderObject(order, state)) }

    func captureObject(_ capture: Capture, _ state: State) -> [String: Any] {
        var object: [String: Any] = [
            "id": capture.id, "status": capture.status, "amount": Self.amount(capture.amount), "final_capture": true,
            "custom_id": capture.customID, "invoice_id": capture.customID, "create_time": capture.createdAt.rfc3339,
            "supplementary_data": ["related_ids": ["order_id": capture.orderID]],
            "links": [["href": "\(state.base)/v2/payments/captures/\(capture.id)", "rel": "self", "method": "GET"]],
        ]
        if capture.status == "PENDING" { object["status_details"] = ["reason": "PENDING_REVIEW"] }
        if capture.status == "DECLINED" { object["status_details"] = ["reason": "DECLINED_BY_RISK_FRAUD_FILTERS"] }
        return object
    }

    func refundObject(_ refund: Refund, _ state: State) -> [String: Any] {
        var object: [String: Any] = [
            "id": refund.id, "status": "COMPLETED", "amount": Self.amount(refund.amount),
            "seller_payable_breakdown": [
                "gross_amount": Self.amount(refund.amount), "net_amount": Self.amount(refund.amount),
                "total_refunded_amount": Self.amount(Money(minorUnits: refund.totalAfter, currency: refund.amount.currency)),
            ],
            "links": [
                ["href": "\(state.base)/v2/payments/refunds/\(refund.id)", "rel": "self", "method": "GET"],
                ["href": "\(state.base)/v2/payments/captures/\(refund.captureID)", "rel": "up", "method": "GET"],
            ],
        ]
        if let custom = refund.customID { object["custom_id"] = custom }
        return object
    }
}
