import Foundation
import PluginKit

/// The parts of PayPal's resources this plugin reads, decoded with `JSONCoding.decoder` (snake_case).
enum PayPalResources {
    struct Amount: Decodable, Sendable {
        let currencyCode: String
        let value: String

        /// In minor units of its currency.
        /// - Throws: `WebhookPayloadError` for an unknown currency or an unreadable value.
        func money() throws -> Money {
            guard let currency = Currency(code: currencyCode), let money = Money(decimal: value, currency: currency) else {
                throw WebhookPayloadError("PayPal amount \(value) \(currencyCode) is unreadable")
            }
            return money
        }

        /// The amount without its sign (PayPal writes what a reversal takes back as negative).
        func magnitude() throws -> Money {
            try Amount(currencyCode: currencyCode, value: value.hasPrefix("-") ? String(value.dropFirst()) : value).money()
        }
    }

    struct Link: Decodable, Sendable {
        let href: String
        let rel: String?
        let method: String?
    }

    /// A capture (Orders v2 `purchase_units[].payments.captures[]`, or a `PAYMENT.CAPTURE.*` resource).
    struct Capture: Decodable, Sendable {
        struct StatusDetails: Decodable, Sendable { let reason: String? }
        struct RelatedIDs: Decodable, Sendable { let orderId: String? }
        struct Supplementary: Decodable, Sendable { let relatedIds: RelatedIDs? }
        let id: String
        let status: String
        let amount: Amount?
        let customId: String?
        let invoiceId: String?
        let statusDetails: StatusDetails?
        let supplementaryData: Supplementary?

        /// Our order, from `custom_id` (or `invoice_id`), as the order request set them.
        func order(_ fallback: String? = nil) throws -> OrderID {
            guard let text = customId ?? invoiceId ?? fallback, let id = OrderID(text) else {
                throw WebhookPayloadError("PayPal capture \(id) names no order")
            }
            return id
        }

        /// What the capture means for `order`: paid only when COMPLETED (a capture refunded since
        /// was completed first); nothing yet while PENDING; failed when DECLINED or FAILED.
        func command(for order: OrderID) throws -> PaymentCommand {
            switch status {
            case "COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED":
                guard let money = try amount?.money() else { throw WebhookPayloadError("PayPal capture \(id) has no amount") }
                return .paid(order: order, amount: money.minorUnits, currency: money.currency.code, paymentReference: id)
            case "PENDING":
                return .acknowledge
            case "DECLINED", "FAILED", "DENIED":
                return .failed(order: order, reason: "PayPal declined the payment (\(statusDetails?.reason ?? status))")
            default:
                throw WebhookPayloadError("PayPal capture \(id) has status \(status)")
            }
        }
    }

    /// An Orders v2 order.
    struct Order: Decodable, Sendable {
        struct Payments: Decodable, Sendable { let captures: [Capture]? }
        struct PurchaseUnit: Decodable, Sendable {
            let referenceId: String?
            let customId: String?
            let invoiceId: String?
            let payments: Payments?
        }
        let id: String
        let status: String?
        let purchaseUnits: [PurchaseUnit]?
        let links: [Link]?

        /// Where the buyer approves it: `approve`, or `payer-action` when a payment source was given.
        var approvalURL: String? { links?.first { $0.rel == "approve" || $0.rel == "payer-action" }?.href }

        func order() throws -> OrderID {
            let unit = purchaseUnits?.first
            guard let text = unit?.customId ?? unit?.invoiceId ?? unit?.referenceId, let id = OrderID(text) else {
                throw WebhookPayloadError("PayPal order \(id) names no order")
            }
            return id
        }

        /// The capture of our order, the latest when there are several.
        var capture: Capture? { purchaseUnits?.first?.payments?.captures?.last }
    }

    /// A refund (`POST /v2/payments/captures/{id}/refund`, or a `PAYMENT.CAPTURE.REFUNDED`/`.REVERSED` resource).
    struct Refund: Decodable, Sendable {
        struct Breakdown: Decodable, Sendable { let totalRefundedAmount: Amount? }
        let id: String
        let status: String?
        let amount: Amount?
        let sellerPayableBreakdown: Breakdown?
        let links: [Link]?

        /// The capture refunded: the `up` link's last path segment.
        func capture() throws -> String {
            guard let up = links?.first(where: { $0.rel == "up" })?.href, let id = URL(string: up)?.lastPathComponent, !id.isEmpty else {
                throw WebhookPayloadError("PayPal refund \(id) names no capture")
            }
            return id
        }

        /// Everything refunded (or reversed) from the capture so far: PayPal's running total. This
        /// refund's own amount would undercount a second one, so without the total the event is
        /// left to an admin.
        func totalRefunded() throws -> Money {
            guard let total = sellerPayableBreakdown?.totalRefundedAmount else {
                throw WebhookPayloadError("PayPal refund \(id) carries no total_refunded_amount; an admin must book it")
            }
            return try total.money()
        }
    }

    /// PayPal's webhook envelope.
    struct Event<Resource: Decodable>: Decodable {
        let id: String
        let eventType: String
        let resource: Resource
    }
}

extension PayPalResources {
    /// A resource id safe to put in a path (PayPal's ids are letters, digits and dashes).
    static func pathSafe(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 64 && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }
}

extension Money {
    /// Currencies PayPal takes in whole units only, though ISO 4217 gives them two decimals
    /// (PayPal's currency codes reference: "This currency does not support decimals").
    static let payPalWholeUnits: Set<String> = ["HUF", "TWD"]

    /// The amount as PayPal's `value`: a decimal string in the currency's exponent, whole units
    /// for HUF and TWD.
    /// - Throws: `ProviderError.invalidRequest` for a fraction PayPal cannot take.
    func payPalValue() throws -> String {
        guard Self.payPalWholeUnits.contains(currency.code) else { return decimalString }
        guard minorUnits % currency.minorUnitsPerMajor == 0 else {
            throw ProviderError.invalidRequest("PayPal takes \(currency.code) in whole units only, not \(decimalString)")
        }
        return String(minorUnits / currency.minorUnitsPerMajor)
    }
}
