"""Drives the fake Resend with the official `resend` SDK: a send with an inline image, an
idempotent replay, and an error the SDK must recognise. Prints what it saw as JSON."""
import base64, json, sys
import resend

resend.api_url = sys.argv[1]
resend.api_key = sys.argv[2]
png = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
params = {
    "from": "Hall & Co <tickets@platform.example>",
    "to": ["ada@example.com"],
    "subject": "Your tickets",
    "html": '<p>Ticket</p><img src="cid:qr-1">',
    "text": "Ticket",
    "reply_to": "office@hall.example",
    "tags": [{"name": "kind", "value": "order_confirmation"}],
    "attachments": [{"filename": "ticket-1.png", "content": png, "content_type": "image/png", "content_id": "qr-1"}],
}
first = resend.Emails.send(params, {"idempotency_key": "sdk-key-1"})
again = resend.Emails.send(params, {"idempotency_key": "sdk-key-1"})
error = None
try:
    resend.Emails.send({k: v for k, v in params.items() if k != "subject"}, {"idempotency_key": "sdk-key-2"})
except resend.exceptions.ResendError as e:
    error = {"code": e.code, "type": e.error_type, "message": e.message}
print(json.dumps({"first": first["id"], "again": again["id"], "error": error}))
