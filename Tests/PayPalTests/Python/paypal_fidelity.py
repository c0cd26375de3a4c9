"""The official paypal-server-sdk against the fake PayPal, and a webhook signed with `cryptography`.

Usage: paypal_fidelity.py BASE CLIENT_ID CLIENT_SECRET WEBHOOK_ID
Prints one JSON object with what the SDK saw and a delivery signed here, independently of Swift.
"""
import base64
import datetime
import json
import sys
import urllib.request
import uuid
import zlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from paypalserversdk.configuration import Environment, Server, Configuration
from paypalserversdk.exceptions.error_exception import ErrorException
from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
from paypalserversdk.models.amount_with_breakdown import AmountWithBreakdown
from paypalserversdk.models.checkout_payment_intent import CheckoutPaymentIntent
from paypalserversdk.models.order_request import OrderRequest
from paypalserversdk.models.purchase_unit_request import PurchaseUnitRequest
from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient

base, client_id, secret, webhook_id = sys.argv[1:5]
result = {}

# The SDK, pointed at the fake instead of PayPal's sandbox.
Configuration.environments[Environment.SANDBOX][Server.DEFAULT] = base
client = PaypalServersdkClient(
    client_credentials_auth_credentials=ClientCredentialsAuthCredentials(o_auth_client_id=client_id, o_auth_client_secret=secret),
    environment=Environment.SANDBOX)
orders = client.orders
request = OrderRequest(intent=CheckoutPaymentIntent.CAPTURE, purchase_units=[PurchaseUnitRequest(
    amount=AmountWithBreakdown(currency_code="EUR", value="12.50"), reference_id="ord_python", custom_id="ord_python")])
created = orders.create_order({"body": request, "paypal_request_id": "python-create-1", "prefer": "return=representation"})
result["created_status"] = created.status_code
result["id"] = created.body.id
result["status"] = created.body.status
result["approve"] = next((link.href for link in created.body.links if link.rel in ("approve", "payer-action")), None)
replayed = orders.create_order({"body": request, "paypal_request_id": "python-create-1", "prefer": "return=representation"})
result["replayed_id"] = replayed.body.id
result["replayed_status"] = replayed.status_code

# The buyer approves at the fake (its test call), then the SDK captures twice.
urllib.request.urlopen(urllib.request.Request(f"{base}/fake/approve/{created.body.id}", method="POST")).read()
captured = orders.capture_order({"id": created.body.id, "paypal_request_id": "python-capture-1", "prefer": "return=representation"})
capture = captured.body.purchase_units[0].payments.captures[0]
result["capture_status"] = capture.status
result["capture_value"] = capture.amount.value
result["capture_custom_id"] = capture.custom_id
try:
    orders.capture_order({"id": created.body.id, "paypal_request_id": "python-capture-2"})
    result["second_capture"] = "accepted"
except ErrorException as error:
    result["second_capture"] = error.details[0].issue if error.details else error.name

# A delivery signed here: a P-256 CA of our own issues an RSA leaf, which signs the documented message.
now = datetime.datetime.now(datetime.timezone.utc)
ca_key = ec.generate_private_key(ec.SECP256R1())
ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Python Test Root")])
ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
      .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
      .not_valid_after(now + datetime.timedelta(days=30))
      .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
      .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
                                   key_agreement=False, key_cert_sign=True, crl_sign=False, encipher_only=False, decipher_only=False),
                     critical=True)
      .sign(ca_key, hashes.SHA256()))
leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
leaf = (x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "messageverificationcerts.sandbox.paypal.com")]))
        .issuer_name(ca_name).public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256()))
body = json.dumps({"id": "WH-PYTHON-1", "event_type": "PAYMENT.CAPTURE.COMPLETED",
                   "resource": {"id": "CAP-PY", "status": "COMPLETED", "amount": {"currency_code": "EUR", "value": "12.50"},
                                "custom_id": "ord_python"}}, separators=(",", ":"))
transmission_id = str(uuid.uuid4())
transmission_time = now.strftime("%Y-%m-%dT%H:%M:%SZ")
message = f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body.encode())}"
signature = leaf_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
result["webhook"] = {
    "body": body, "transmission_id": transmission_id, "transmission_time": transmission_time,
    "signature": base64.b64encode(signature).decode(), "ca": ca.public_bytes(serialization.Encoding.PEM).decode(),
    "leaf": leaf.public_bytes(serialization.Encoding.PEM).decode(),
}
print(json.dumps(result))
