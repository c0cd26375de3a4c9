#!/usr/bin/env python3
"""Applies the server's general rules to the OpenAPI document (run after editing it by hand):
every operation documents the problems it can answer, and every list cursor its id's format.
Idempotent: running it twice changes nothing the second time."""
import copy
import json
import sys

PATH = sys.argv[1] if len(sys.argv) > 1 else "Sources/Platform/Resources/openapi.json"
ID_BODY = "[0-9a-hjkmnp-tv-z]{26}"
problem = {"content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}

doc = json.load(open(PATH))
# The currencies and time zones the server takes: ISO 4217 List One (Sources/PluginKit/ISO4217.swift)
# and the IANA zones Foundation knows (a name with a slash, or UTC: scripts/timezones.swift writes them).
import re
CURRENCIES = re.findall(r'\("([A-Z]{3})", [0-9]\)', open("Sources/PluginKit/ISO4217.swift").read())
ZONES = json.load(open("scripts/timezones.json"))
schemas = doc["components"]["schemas"]


def resolve(schema):
    while isinstance(schema, dict) and "$ref" in schema:
        schema = schemas[schema["$ref"].split("/")[-1]]
    return schema


# Each list's cursor: the id of its last item (the ledger's: a booking time in milliseconds).
CURSORS = {
    "/api/v1/organizers": "org", "/api/v1/events": "evt", "/api/v1/events/{id}/orders": "ord", "/api/v1/admin/refunds": "rfd",
    "/api/v1/admin/webhooks": "whk", "/api/v1/admin/outbox": "msg", "/api/v1/events/{id}/checkin/scans": "scn", "/api/v1/payouts": "po",
    "/api/v1/admin/payouts": "po", "/api/v1/webhook-endpoints": "we", "/api/v1/webhook-endpoints/{id}/deliveries": "wdl",
    "/api/v1/webhook-deliveries": "wdl", "/api/v1/audit-log": "aud", "/api/v1/admin/audit-log": "aud",
    "/api/v1/orders/{id}/history": "aud", "/api/v1/events/{id}/history": "aud", "/api/v1/admin/wallets": "wal",
}
unresolved = []
for path, operations in doc["paths"].items():
    for method, op in operations.items():
        if method not in ("get", "post", "put", "patch", "delete"):
            continue
        responses = op.setdefault("responses", {})
        params = op.get("parameters", [])
        secured = op.get("security", doc.get("security", [])) not in ([], [{}])

        def need(code, description):
            responses.setdefault(code, {"description": description, **problem})

        if secured:
            need("401", "Missing or invalid API key")
            need("403", "The key's scope does not allow this route")
        if "{" in path:
            need("404", "No such resource (or not this organizer's)")
        if "requestBody" in op:
            need("400", "The body is not a JSON object")
            need("415", "The body is not application/json")
            need("413", "The body is larger than MAX_BODY_BYTES")
        if params or "requestBody" in op:
            need("422", "Invalid fields")
        for param in params:
            if param.get("name") != "after" or param.get("in") != "query":
                continue
            ok = responses.get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
            data = resolve(ok).get("properties", {}).get("data", {}).get("items", {})
            item = resolve(data)
            described = item.get("properties", {}).get("id", {}).get("description", "")
            prefix = CURSORS.get(path) or (described.split("_")[0] if described.endswith("_...") else None)
            if path == "/api/v1/ledger/entries":
                param["schema"] = {"type": "string", "pattern": "^([0-9]{1,15})?$"}
            elif prefix:
                # Empty is no cursor: the first page.
                param["schema"] = {"type": "string", "pattern": f"^({prefix}_{ID_BODY})?$"}
            elif "pattern" not in param.get("schema", {}):
                unresolved.append(f"{method.upper()} {path}")

DAY = "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
# Field rules the server checks (TextRules and the validators), stated where the fields are.
# Text: 1..max characters, one of them not a space, no control characters.
TEXT = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"
# No space (U+0085 named: ECMAScript's \\s leaves it out, Swift counts it), control character, <, > or comma.
E = "[^@\\s\\u0000-\\u001f\\u007f-\\u009f<>,"
EMAIL = f"^{E}]+@{E}.]{E}]*\\.{E}]*{E}.]$"
ORIGIN = "^https?://[A-Za-z0-9.-]+(:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?$"
DATETIME = f"^{DAY}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{{1,3}})?(Z|[+-]0[0-9]:[0-5][0-9])$"


def statuses(*names):
    one = "(" + "|".join(names) + ")"
    return f"^(all|{one}(,{one})*)$"
DATE_OR_TIME = f"^{DAY}(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{{1,3}})?(Z|[+-]0[0-9]:[0-5][0-9]))?$"


def text(limit):
    return {"minLength": 1, "maxLength": limit, "pattern": TEXT}


FIELDS = {
    "title": text(200), "venue": text(300), "name": text(200), "sender_name": text(100), "label": text(100), "reason": text(500),
    "email": {"maxLength": 254, "pattern": EMAIL}, "reply_to": {"maxLength": 254, "pattern": EMAIL},
    "currency": {"enum": sorted(CURRENCIES)}, "timezone": {"enum": ZONES},
    "max_per_order": {"minimum": 1, "maximum": 1000}, "reservation_minutes": {"minimum": 1, "maximum": 1440},
    "quota": {"minimum": 0, "maximum": 10_000_000}, "price": {"minimum": 0, "maximum": 100_000_000_000}, "nonce": {"minLength": 1},
    "starts_at": {"format": "date-time"}, "ends_at": {"format": "date-time"}, "sales_start": {"format": "date-time"},
    "tickets": {"maxItems": 500, "uniqueItems": True}, "sales_end": {"format": "date-time"}, "organizer_id": {"pattern": f"^org_{ID_BODY}$"}, "redirect_origins": {"maxItems": 20, "items": {"type": "string", "pattern": ORIGIN}},
}
# Where a field of the same name has another rule.
BY_PATH = {("/api/v1/events/{id}/checkin-devices", "name"): text(100), ("/api/v1/checkin/scan", "token"): {"minLength": 1},
           ("/api/v1/admin/credit-packs", "price"): {"minimum": 1, "maximum": 100_000_000_000}}
QUERY = {
    "from": DATE_OR_TIME, "to": DATE_OR_TIME, "booked_from": DATE_OR_TIME, "booked_to": DATE_OR_TIME, "event_from": DATE_OR_TIME,
    "event_to": DATE_OR_TIME, "order_id": f"^ord_{ID_BODY}$", "payout_id": f"^po_{ID_BODY}$", "event_id": f"^evt_{ID_BODY}$",
    "organizer_id": f"^org_{ID_BODY}$",
    "subject_id": None,
    "actor_kind": "^(admin|api_key|buyer|device|member|provider|worker)$",
    "type": "^(payment|refund|refund_failed|dispute|dispute_won|release|owed|repaid|payout|payout_settled|payout_failed|payout_returned)"
            "(,(payment|refund|refund_failed|dispute|dispute_won|release|owed|repaid|payout|payout_settled|payout_failed|payout_returned))*$",
}
STATUSES = {
    "/api/v1/admin/refunds": statuses("requested", "succeeded", "failed"),
    "/api/v1/admin/webhooks": statuses("pending", "processed", "ignored", "failed", "dead"),
    "/api/v1/admin/outbox": statuses("queued", "sending", "sent", "dead"),
    "/api/v1/webhook-endpoints/{id}/deliveries": statuses("pending", "sending", "delivered", "failed"),
    "/api/v1/webhook-deliveries": statuses("pending", "sending", "delivered", "failed"),
}

KINDS = {"string": {"minLength", "maxLength", "pattern", "format", "enum"}, "integer": {"minimum", "maximum"},
         "array": {"maxItems", "items"}}


def apply(field, rule):
    """The rule on the field, or on its branch of the right type when it may also be null."""
    rule = copy.deepcopy(rule)  # each field its own lists: accept_null extends an enum in place
    branches = field.get("oneOf") or field.get("anyOf")
    if not branches:
        field.update(rule)
        return
    for key in set().union(*KINDS.values()):
        field.pop(key, None)
    for branch in branches:
        keys = KINDS.get(branch.get("type"), set())
        branch.update({key: value for key, value in rule.items() if key in keys})


for path, operations in doc["paths"].items():
    for method, op in operations.items():
        if not isinstance(op, dict):
            continue
        for param in op.get("parameters", []):
            rule = QUERY.get(param.get("name")) if param.get("in") == "query" else None
            if param.get("in") == "query" and param.get("name") == "status" and path in STATUSES:
                rule = STATUSES[path]
            if rule == DATE_OR_TIME:
                # Empty is no bound.
                param["schema"] = {"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}, {"maxLength": 0}]}
            elif rule:
                default = param.get("schema", {}).get("default")
                param["schema"] = {"type": "string", "pattern": rule, **({"default": default} if default else {})}
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if not body:
            continue
        for name, field in resolve(body).get("properties", {}).items():
            rule = BY_PATH.get((path, name), FIELDS.get(name))
            if rule is None or "$ref" in field:
                continue
            apply(field, rule)



def accept_null(field):
    """The field's schema, also allowing null."""
    if "$ref" in field:
        return {"anyOf": [{"$ref": field.pop("$ref")}, {"type": "null"}], **field}
    branches = field.get("oneOf") or field.get("anyOf")
    kind = field.get("type")
    if branches is not None:
        if not any(branch.get("type") == "null" for branch in branches):
            branches.append({"type": "null"})
    elif isinstance(kind, list):
        if "null" not in kind:
            kind.append("null")
    elif kind is not None:
        field["type"] = [kind, "null"]
    if "enum" in field and None not in field["enum"]:
        field["enum"] = field["enum"] + [None]
    return field


# On creation an optional field sent as null is taken as absent (RequestFields.optional); on a PATCH
# null means "remove", so there only the fields that say so take it.
patched = {json.dumps(op["requestBody"]["content"]["application/json"]["schema"]) for operations in doc["paths"].values()
           for method, op in operations.items() if method == "patch" and "requestBody" in op}
for path, operations in doc["paths"].items():
    body = operations.get("post", {}).get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if not body or path.startswith("/webhooks/"):
        continue
    assert json.dumps(body) not in patched, f"POST {path} shares its body schema with a PATCH"
    fields = resolve(body)
    required = set(fields.get("required", []))
    for name in list(fields.get("properties", {})):
        if name not in required:
            fields["properties"][name] = accept_null(fields["properties"][name])

# A door's search is a text field of 200 characters.
for param in doc["paths"]["/api/v1/events/{id}/checkin/search"]["get"]["parameters"]:
    if param["name"] == "q":
        param["schema"].update(text(200))

# A scan names its ticket by a token or by its id: one of the two, not null.
scan = doc["paths"]["/api/v1/checkin/scan"]["post"]["requestBody"]["content"]["application/json"]["schema"]
scan["oneOf"] = [{"required": [name], "properties": {name: {"type": "string"}}} for name in ("token", "ticket_id")]

# An API key's label may be null (none).
label = doc["paths"]["/api/v1/organizers/{id}/api-keys"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]["label"]
label["type"] = ["string", "null"]

# A cart's lines: variants by id, 1 to 1000 seats each.
line = schemas["NewOrder"]["properties"]["lines"]["items"]["properties"]
line["variant_id"].update({"pattern": f"^var_{ID_BODY}$"})
line["quantity"].update({"minimum": 1, "maximum": 1000})

open(PATH, "w").write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
for op in unresolved:
    print("cursor format unknown:", op)
