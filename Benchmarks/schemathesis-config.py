#!/usr/bin/env python3
"""Writes the long schemathesis run's configuration (Benchmarks/schemathesis.sh): the test's own
rules (Tests/PlatformServerTests/Python/schemathesis.toml) and, for every operation with a path
parameter, the id of a real resource of the demo, so that generated bodies and queries reach the
handlers' logic instead of stopping at 404.

    ORGANIZER_KEY=… ADMIN_KEY=… schemathesis-config.py BASE_URL RULES.toml OUT.toml

(the keys in the environment, so that no process list shows them). Operations whose resource the
demo does not have (webhook endpoints and deliveries, a buyer's ticket with its token) keep
generated ids, and so does a door device: the stateful phase would pair the demo's device with an
event it created, whose 404 schemathesis takes for a lost resource. Prints the ids it found. Standard library only."""
import json
import os
import sys
import tomllib
import urllib.request

base, rules, out = sys.argv[1:4]
organizer, admin = os.environ["ORGANIZER_KEY"], os.environ["ADMIN_KEY"]


def call(method, path, key=None, body=None, headers=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Authorization", "Bearer " + key)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def first(items, where=lambda item: True):
    return next((item for item in items if where(item)), None)


ids = {}
event = first(call("GET", "/api/v1/events", organizer)["data"], lambda e: e.get("status") == "live")
ids["event"] = event["id"]
variants = call("GET", f"/api/v1/events/{event['id']}", organizer).get("variants", [])
variant = first(variants, lambda v: v.get("status") == "live") or first(variants)
ids["variant"] = variant["id"]
paid = first(call("GET", f"/api/v1/events/{event['id']}/orders", organizer)["data"], lambda o: o.get("status") == "paid")
if paid:
    ids["order"] = paid["id"]
    ticket = first(call("GET", f"/api/v1/orders/{paid['id']}/tickets", organizer)["data"])
    if ticket:
        ids["ticket"] = ticket["id"]
placed = call("POST", f"/api/v1/public/events/{event['id']}/orders",
              body={"lines": [{"variant_id": variant["id"], "quantity": 1}], "email": "schemathesis@example.com", "provider": "sandbox"},
              headers={"Idempotency-Key": "schemathesis-config"})
ids["public_order"], ids["order_token"] = placed["order"]["id"], placed["access_token"]
ids["organizer"] = event["organizer_id"]
payout = first(call("GET", "/api/v1/payouts", organizer)["data"])
if payout:
    ids["payout"] = payout["id"]
pack = first(call("GET", "/api/v1/public/credit-packs")["data"])
if pack:
    ids["pack"] = pack["id"]
message = first(call("GET", "/api/v1/admin/outbox?status=all", admin)["data"])
if message:
    ids["message"] = message["id"]

ids["provider"] = "sandbox"

# Path prefix -> the parameters of every operation under it; an operation takes its longest prefix.
BY_PREFIX = [
    ("/api/v1/public/orders/{id}", {"path.id": "public_order", "query.token": "order_token"}),
    ("/api/v1/public/events/{id}", {"path.id": "event"}),
    ("/api/v1/public/credit-packs/{id}", {"path.id": "pack"}),
    ("/api/v1/events/{id}", {"path.id": "event"}),
    ("/api/v1/variants/{id}", {"path.id": "variant"}),
    ("/api/v1/admin/orders/{id}", {"path.id": "order"}),
    ("/api/v1/orders/{id}", {"path.id": "order"}),
    ("/api/v1/tickets/{id}", {"path.id": "ticket"}),
    ("/api/v1/admin/organizers/{id}", {"path.id": "organizer"}),
    ("/api/v1/organizers/{id}", {"path.id": "organizer"}),
    ("/api/v1/admin/payouts/{id}", {"path.id": "payout"}),
    ("/api/v1/payouts/{id}", {"path.id": "payout"}),
    ("/api/v1/admin/credit-packs/{id}", {"path.id": "pack"}),
    ("/api/v1/admin/outbox/{id}", {"path.id": "message"}),
    ("/webhooks/{provider}", {"path.provider": "provider"}),
]
BY_PREFIX.sort(key=lambda entry: -len(entry[0]))

document = call("GET", "/api/v1/openapi.json")
config = tomllib.load(open(rules, "rb"))
assert set(config) <= {"operations"}, f"write the other tables of {rules} here too: {sorted(config)}"
operations = config.setdefault("operations", [])
for path, methods in document["paths"].items():
    for method in methods:
        if method not in ("get", "post", "patch", "delete", "put"):
            continue
        match = next((given for prefix, given in BY_PREFIX if path.startswith(prefix)), {})
        values = {key: ids[name] for key, name in match.items() if name in ids}
        if not values:
            continue
        name = f"{method.upper()} {path}"
        entry = first(operations, lambda o: o.get("include-name") == name)
        if entry is None:
            entry = {"include-name": name}
            operations.append(entry)
        entry["parameters"] = values


def toml_value(value):
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return json.dumps(value)


def flat(table, prefix=""):
    for key, value in table.items():
        name = prefix + (key if key.replace("-", "").replace("_", "").isalnum() else json.dumps(key))
        if isinstance(value, dict) and not name.endswith("parameters"):
            yield from flat(value, name + ".")
        elif isinstance(value, dict):
            yield name, "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
        else:
            yield name, toml_value(value)


with open(out, "w") as file:
    for entry in operations:
        file.write("[[operations]]\n")
        for name, value in flat(entry):
            file.write(f"{name} = {value}\n")
        file.write("\n")
tomllib.load(open(out, "rb"))
print("resources for the path parameters: " + ", ".join(f"{name} {value if name != 'order_token' else '(set)'}" for name, value in ids.items()))
