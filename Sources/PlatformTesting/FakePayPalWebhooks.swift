import CZlib
import Crypto
import Foundation
import HTTPTypes
import NIOCore
import Platform
import _CryptoExtras

/// Webhooks as PayPal signs them (PROVIDERS.md): `transmission_id|transmission_time|webhook_id|crc32`
/// signed SHA256withRSA by the fake's certificate, and the verify-webhook-signature API.
extension FakePayPal {
    package struct Delivery: Sendable {
        package let body: ByteBuffer
        package let headers: HTTPFields
        package let eventID: String

        package init(body: ByteBuffer, headers: HTTPFields, eventID: String) {
            self.body = body
            self.headers = headers
            self.eventID = eventID
        }
    }

    static func crc32(_ data: Data) -> UInt32 {
        data.withUnsafeBytes { raw in
            UInt32(truncatingIfNeeded: CZlib.crc32(0, raw.bindMemory(to: Bytef.self).baseAddress, uInt(raw.count)))
        }
    }

    /// A signed delivery of `eventType` around `resource` (a JSON object), sent at `time` (now by default).
    /// `crc` replaces the checksum in the signed message (to sign one computed wrongly).
    package func delivery(_ eventType: String, resource: String, eventID: String? = nil, at time: Timestamp? = nil,
                          webhookID: String = FakePayPal.webhookID, certificateURL: String = FakePayPal.certificateURL,
                          crc: String? = nil) -> Delivery {
        let sent = time ?? clock.now()
        let id = eventID ?? "WH-FAKE-" + UUID().uuidString.prefix(18)
        let kind = eventType.hasPrefix("CHECKOUT.ORDER") ? "checkout-order" : eventType.hasPrefix("PAYMENT.PAYOUTS") ? "payouts_item"
            : eventType.hasSuffix("REFUNDED") || eventType.hasSuffix("REVERSED") ? "refund" : "capture"
        let body = #"{"id":"\#(id)","event_version":"1.0","create_time":"\#(sent.rfc3339)","resource_type":"\#(kind)","resource_version":"2.0","event_type":"\#(eventType)","summary":"\#(eventType) (fake)","resource":\#(resource),"links":[]}"#
        let transmission = UUID().uuidString.lowercased()
        let message = "\(transmission)|\(sent.rfc3339)|\(webhookID)|\(crc ?? String(Self.crc32(Data(body.utf8))))"
        let signature = (try? signingKey.signature(for: SHA256.hash(data: Data(message.utf8)), padding: .insecurePKCS1v1_5))?
            .rawRepresentation.base64EncodedString() ?? ""
        return Delivery(body: ByteBuffer(string: body), headers: [
            HTTPField.Name("PAYPAL-TRANSMISSION-ID")!: transmission, HTTPField.Name("PAYPAL-TRANSMISSION-TIME")!: sent.rfc3339,
            HTTPField.Name("PAYPAL-TRANSMISSION-SIG")!: signature, HTTPField.Name("PAYPAL-CERT-URL")!: certificateURL,
            HTTPField.Name("PAYPAL-AUTH-ALGO")!: "SHA256withRSA",
        ], eventID: id)
    }

    /// A certificate for the fake's signing key from `issuer` (the fake's own CA by default).
    package func certificate(by issuer: TestPayPalCA? = nil, from: Date, until: Date) throws -> String {
        try (issuer ?? ca).issue(signingKey, from: from, until: until)
    }

    /// `CHECKOUT.ORDER.APPROVED` for PayPal order `id`, as it stands.
    package func approvedEvent(_ id: String, at time: Timestamp? = nil) throws -> Delivery {
        let resource = try state.withLock { state in
            guard let order = state.orders[id] else { throw FakePayPalError("no PayPal order \(id)") }
            return orderJSON(order, state)
        }
        return delivery("CHECKOUT.ORDER.APPROVED", resource: resource, at: time)
    }

    /// A `PAYMENT.CAPTURE.*` event for capture `id` as it stands.
    package func captureEvent(_ eventType: String, capture id: String, at time: Timestamp? = nil) throws -> Delivery {
        let resource = try state.withLock { state in
            guard let capture = state.captures[id] else { throw FakePayPalError("no PayPal capture \(id)") }
            return Self.json(captureObject(capture, state))
        }
        return delivery(eventType, resource: resource, at: time)
    }

    /// `PAYMENT.CAPTURE.REFUNDED` (or `.REVERSED`) for every refund of capture `id` so far, oldest first.
    package func refundEvents(_ eventType: String = "PAYMENT.CAPTURE.REFUNDED", capture id: String, at time: Timestamp? = nil) -> [Delivery] {
        let resources = state.withLock { state in
            state.refunds.values.filter { $0.captureID == id }.sorted { $0.totalAfter < $1.totalAfter }.map { Self.json(refundObject($0, state)) }
        }
        return resources.map { delivery(eventType, resource: $0, at: time) }
    }

    /// A reversal of `amount` (minor units) of capture `id`: PayPal takes the money back and says so.
    package func reverse(capture id: String, amount: Int64, at time: Timestamp? = nil) throws -> Delivery {
        let resource = try state.withLock { state in
            guard var capture = state.captures[id] else { throw FakePayPalError("no PayPal capture \(id)") }
            capture.refunded += amount
            capture.status = capture.refunded >= capture.amount.minorUnits ? "REVERSED" : "PARTIALLY_REFUNDED"
            state.captures[id] = capture
            let refund = Refund(id: nextID("FAKEREV", &state), captureID: id, amount: Money(minorUnits: amount, currency: capture.amount.currency),
                                totalAfter: capture.refunded, customID: nil)
            // As PayPal writes a reversal: its own amounts negative, no running total of refunds.
            var object = refundObject(refund, state)
            let negative = ["currency_code": refund.amount.currency.code, "value": "-" + refund.amount.decimalString]
            object["amount"] = negative
            object["seller_payable_breakdown"] = ["gross_amount": negative, "net_amount": negative]
            return Self.json(object)
        }
        return delivery("PAYMENT.CAPTURE.REVERSED", resource: resource, at: time)
    }

    /// A `PAYMENT.PAYOUTS-ITEM.*` event for the item paying `senderItemID`, as it stands.
    package func payoutItemEvent(_ eventType: String, paying senderItemID: String, at time: Timestamp? = nil) throws -> Delivery {
        let resource = try state.withLock { state in
            for batch in state.batches.values {
                if let item = batch.items.first(where: { $0.senderItemID == senderItemID }) { return Self.json(itemObject(item, batch: batch)) }
            }
            throw FakePayPalError("no PayPal payout item pays \(senderItemID)")
        }
        return delivery(eventType, resource: resource, at: time)
    }

    /// A `PAYMENT.PAYOUTSBATCH.*` event for the batch sent as `senderBatchID`.
    package func batchEvent(_ eventType: String, senderBatchID: String, at time: Timestamp? = nil) throws -> Delivery {
        let resource = try state.withLock { state in
            guard let id = state.batchBySender[senderBatchID], let batch = state.batches[id] else { throw FakePayPalError("no batch \(senderBatchID)") }
            return Self.json(["batch_header": batchHeader(batch)])
        }
        return delivery(eventType, resource: resource, at: time)
    }

    /// `POST /v1/notifications/verify-webhook-signature`: checks the transmission against the raw
    /// `webhook_event` as sent, with the fake's key.
    func verifySignature(_ request: FakePayPalRequest) throws -> (Int, String) {
        let text = String(decoding: request.raw, as: UTF8.self)
        guard let id = request.json["transmission_id"] as? String, let time = request.json["transmission_time"] as? String,
              let webhook = request.json["webhook_id"] as? String, let sig = request.json["transmission_sig"] as? String,
              let certificate = request.json["cert_url"] as? String, request.json["webhook_event"] is [String: Any],
              let start = text.range(of: #""webhook_event":"#), let end = text.range(of: "}", options: .backwards) else {
            throw FakePayPalRefusal(status: 400, name: "VALIDATION_ERROR", issue: "MISSING_REQUIRED_PARAMETER")
        }
        let event = Data(text[start.upperBound..<end.lowerBound].utf8)
        let message = Data("\(id)|\(time)|\(webhook)|\(Self.crc32(event))".utf8)
        let valid = certificate == Self.certificateURL && webhook == Self.webhookID
            && (Data(base64Encoded: sig).map { signingKey.publicKey.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: $0),
                                                                                      for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5) } ?? false)
        return (200, #"{"verification_status":"\#(valid ? "SUCCESS" : "FAILURE")"}"#)
    }
}
