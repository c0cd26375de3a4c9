"""Drives the fake Stripe with the official stripe-python SDK, and checks the fake's webhook
signatures with the SDK's verifier. Arguments: API base URL, secret key, events JSON file."""
import json
import sys

import stripe


def main():
    base, key, events_file = sys.argv[1], sys.argv[2], sys.argv[3]
    stripe.api_key = key
    stripe.api_base = base
    params = dict(
        mode="payment",
        line_items=[{"price_data": {"currency": "eur", "unit_amount": 2000, "product_data": {"name": "GA"}}, "quantity": 2}],
        success_url="https://shop.example.com/ok",
        cancel_url="https://shop.example.com/cancel",
        client_reference_id="ord_python",
        metadata={"order_id": "ord_python"},
    )
    first = stripe.checkout.Session.create(idempotency_key="python-1", **params)
    again = stripe.checkout.Session.create(idempotency_key="python-1", **params)
    try:
        stripe.checkout.Session.create(idempotency_key="python-1", **dict(params, client_reference_id="other"))
        conflict = None
    except stripe.error.IdempotencyError as error:
        conflict = type(error).__name__
    transfer = stripe.Transfer.create(
        idempotency_key="po_python", amount=4750, currency="eur", destination="acct_1Nv0FGQ9RKHgCVdK",
        transfer_group="po_python", description="Payout po_python", metadata={"payout_id": "po_python"})
    verified = 0
    for event in json.load(open(events_file)):
        stripe.WebhookSignature.verify_header(event["payload"], event["header"], event["secret"], tolerance=None)
        verified += 1
    try:
        bad = json.load(open(events_file))[0]
        stripe.WebhookSignature.verify_header(bad["payload"] + " ", bad["header"], bad["secret"], tolerance=None)
        tampered = "accepted"
    except stripe.error.SignatureVerificationError:
        tampered = "rejected"
    print(json.dumps({"id": first.id, "replayed_id": again.id, "url": first.url, "amount_total": first.amount_total,
                      "conflict": conflict, "verified": verified, "tampered": tampered, "transfer": transfer.id}))


if __name__ == "__main__":
    main()
