#!/usr/bin/env python
"""pretix's side of Benchmarks/compare-pretix.sh, through pretix's own models (run with the pretix
virtualenv's Python, PRETIX_CONFIG_FILE set):

    pretix_fixtures.py setup TARGET.json --port P [--hot NAME]  # organizer, API token, live event, items NAME (1,000; default Hot) and Scan, a check-in list
    pretix_fixtures.py paid N TOKENS               # N paid one-ticket orders of Scan, their secrets one per line
    pretix_fixtures.py sold TARGET.json            # positions of Hot in pending or paid orders (the oversell check)

TARGET.json is what Benchmarks/compare/loadgen.py reads: pretix's order and check-in calls, as a
self-hosted pretix takes them (a pending bank-transfer order; a check-in by secret on one list)."""
import json
import os
import sys
import time
from datetime import timedelta
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pretix.settings")
import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils.timezone import now  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402
from pretix.base.models import CheckinList, Event, Item, Order, OrderPayment, OrderPosition, Organizer, Quota, Team  # noqa: E402

SLUG = "compare"
PRICE = Decimal("25.00")
BANK = "pretix.plugins.banktransfer"


def item(event, name, size):
    found = Item.objects.filter(event=event, internal_name=name).first()
    if found:
        return found
    created = Item.objects.create(event=event, name=name, internal_name=name, default_price=PRICE, admission=True)
    Quota.objects.create(event=event, name=name, size=size).items.add(created)
    return created


def setup(target_path, port, hot_name):
    with scopes_disabled(), transaction.atomic():
        organizer, _ = Organizer.objects.get_or_create(slug=SLUG, defaults={"name": "Compare"})
        # Bank transfer is enabled on the organizer and on the event (a plugin of both levels).
        if BANK not in organizer.get_plugins():
            organizer.plugins = ",".join([p for p in organizer.get_plugins() if p] + [BANK])
            organizer.save()
        team, _ = Team.objects.get_or_create(organizer=organizer, name="API", defaults={
            "all_events": True, "all_event_permissions": True, "all_organizer_permissions": True})
        token = team.tokens.first() or team.tokens.create(name="compare")
        event = Event.objects.filter(organizer=organizer, slug=SLUG).first()
        if event is None:
            event = Event.objects.create(organizer=organizer, slug=SLUG, name="Compare", currency="EUR", live=True,
                                         date_from=now() + timedelta(days=30),
                                         plugins=settings.PRETIX_PLUGINS_DEFAULT + "," + BANK)
            event.settings.set("payment_banktransfer__enabled", True)
            event.settings.set("payment_banktransfer_bank_details", "Compare bank")
            event.settings.set("attendee_names_asked", False)
            event.settings.set("invoice_generate", "False")
        hot = item(event, hot_name, 1_000)
        item(event, "Scan", None)
        entry = CheckinList.objects.filter(event=event, name="Entry").first() or \
            CheckinList.objects.create(event=event, name="Entry", all_products=True)
    base = f"/api/v1/organizers/{SLUG}"
    target = {
        "system": "pretix", "port": port, "server_process": "gunicorn pretix.wsgi",
        "headers": {"Authorization": f"Token {token.token}", "Accept": "application/json"},
        "order": {"path": f"{base}/events/{SLUG}/orders/", "idempotency_key": False,
                  "body": {"email": "buyer@example.org", "locale": "en", "sales_channel": "web", "payment_provider": "banktransfer",
                           "send_email": False, "positions": [{"item": hot.pk}]},
                  "ok": [201], "sold_out": {"status": [400], "contains": "quota"}},
        "scan": {"path": f"{base}/checkinrpc/redeem/",
                 "body": {"secret": "{token}", "source_type": "barcode", "lists": [entry.pk], "type": "entry"},
                 "json_field": "status", "ok": ["ok"], "again": ["error"], "again_when": {"reason": ["already_redeemed"]}},
        "hot_item": hot.pk,
    }
    json.dump(target, open(target_path, "w"), indent=1)
    print(f"pretix: organizer {SLUG}, event {SLUG}, {hot_name} item {hot.pk} (quota 1,000), check-in list {entry.pk}")


def paid(count, tokens_path):
    """Paid one-ticket orders as pretix books them (a confirmed payment, the order's transactions), 500 per transaction."""
    began = time.monotonic()
    secrets = []
    with scopes_disabled():
        event = Event.objects.get(organizer__slug=SLUG, slug=SLUG)
        scan = Item.objects.get(event=event, internal_name="Scan")
        web = event.organizer.sales_channels.get(identifier="web")
        for first in range(0, count, 500):
            with transaction.atomic():
                for index in range(first, min(count, first + 500)):
                    order = Order.objects.create(event=event, status=Order.STATUS_PAID, email=f"paid{index}@example.org",
                                                 total=PRICE, locale="en", sales_channel=web)
                    position = OrderPosition.objects.create(order=order, item=scan, price=PRICE, positionid=1)
                    order.payments.create(amount=PRICE, provider="manual", state=OrderPayment.PAYMENT_STATE_CONFIRMED, payment_date=now())
                    order.create_transactions(is_new=True)
                    secrets.append(position.secret)
    open(tokens_path, "w").write("\n".join(secrets) + "\n")
    print(f"pretix: {count} paid orders in {time.monotonic() - began:.1f} s")


def sold(target_path):
    target = json.load(open(target_path))
    with scopes_disabled():
        taken = OrderPosition.objects.filter(item_id=target["hot_item"], order__status__in=[Order.STATUS_PENDING, Order.STATUS_PAID]).count()
    print(taken)


if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    if command == "setup":
        hot_name = arguments[arguments.index("--hot") + 1] if "--hot" in arguments else "Hot"
        setup(arguments[0], int(arguments[arguments.index("--port") + 1]), hot_name)
    elif command == "paid":
        paid(int(arguments[0]), arguments[1])
    elif command == "sold":
        sold(arguments[0])
    else:
        sys.exit(__doc__)
