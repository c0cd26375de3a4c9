import PluginKit

/// The body of `POST /v2/checkout/orders` for one of our orders: intent CAPTURE, one purchase unit
/// that names our order (`reference_id`, `custom_id`, `invoice_id`) and its total as a decimal
/// string in the currency's exponent, and the URLs PayPal sends the buyer back to. Encoded with
/// `JSONCoding.encoder` (snake_case), as PayPal's Orders v2 API names the fields.
struct PayPalOrderRequest: Encodable, Sendable {
    struct Amount: Encodable, Sendable { let currencyCode: String, value: String }
    struct PurchaseUnit: Encodable, Sendable {
        let referenceId: String, customId: String, invoiceId: String, description: String, amount: Amount
    }
    struct ExperienceContext: Encodable, Sendable {
        let returnUrl: String, cancelUrl: String
        /// The buyer pays on PayPal's page: no review step back on ours.
        let userAction = "PAY_NOW"
        /// Tickets are not shipped.
        let shippingPreference = "NO_SHIPPING"
    }
    struct PayPalSource: Encodable, Sendable { let experienceContext: ExperienceContext }
    struct PaymentSource: Encodable, Sendable { let paypal: PayPalSource }

    let intent = "CAPTURE"
    let purchaseUnits: [PurchaseUnit]
    let paymentSource: PaymentSource

    /// - Parameters:
    ///   - returnURL: where PayPal sends the approving buyer (the plugin's route that captures).
    ///   - cancelURL: where a buyer who gives up goes.
    /// - Throws: `ProviderError.invalidRequest` for an amount PayPal cannot take (a fraction of HUF).
    init(_ checkout: CheckoutRequest, returnURL: String, cancelURL: String) throws {
        let id = checkout.orderID.rawValue
        purchaseUnits = [PurchaseUnit(
            referenceId: id, customId: id, invoiceId: id, description: String(checkout.eventTitle.prefix(127)),
            amount: Amount(currencyCode: checkout.total.currency.code, value: try checkout.total.payPalValue()))]
        paymentSource = PaymentSource(paypal: PayPalSource(experienceContext: ExperienceContext(returnUrl: returnURL, cancelUrl: cancelURL)))
    }

    /// PayPal keeps a `PayPal-Request-Id` 6 hours: one per order, so a retried creation is the same PayPal order.
    static func requestID(_ checkout: CheckoutRequest) -> String { "paypal-" + checkout.idempotencyKey }
}
