"""A buyer in a real browser: buys two tickets on the event page through the Sandbox, watches the
order page wait and then turn paid by itself, and checks what it got: both QR images decode
(zxing-cpp) to the tickets' tokens, which verify with the event's Ed25519 key, and the .ics file
parses. Also: a double submission places one order, and HTML in an event title stays text.

argv[1] is JSON: base, event, event_title, event_starts (RFC 3339 UTC), hostile_event,
hostile_title, organizer_key, pay_signal (a file to create when the payment may be applied), shots."""
import base64
import io
import json
import os
import sys
import urllib.request

import icalendar
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from PIL import Image

from browser_kit import Browser, By, Select, expect, run


def fetch(url, key=None):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"} if key else {})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, response.headers, response.read()


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def main():
    args = json.loads(sys.argv[1])
    b = Browser(args["base"], args["shots"])
    driver = b.driver

    # The event page.
    b.open(f"/e/{args['event']}")
    b.check(b.text("h1") == args["event_title"], "the event page shows the event's title")
    b.check("UTC+01:00" in b.text(".when") or "UTC+02:00" in b.text(".when"), "the start shows its UTC offset")
    print("event page", b.navigation_figures("event page"), flush=True)
    b.check_page("event")

    selects = driver.find_elements(By.CSS_SELECTOR, "select.quantity")
    b.check(len(selects) == 3, f"three variants to choose from, saw {len(selects)}")
    options = [o.get_attribute("value") for o in Select(selects[0]).options]
    b.check(options[-1] == "10", f"the picker stops at max_per_order (10), saw {options[-1]}")

    # A mistake first: the page says what is wrong and keeps what was typed.
    Select(selects[0]).select_by_value("2")
    driver.find_element(By.ID, "email").send_keys("not-an-email")
    driver.find_element(By.ID, "name").send_keys("Ada Buyer")
    driver.find_element(By.ID, "place-order").click()
    b.wait().until(expect.presence_of_element_located((By.ID, "email-error")))
    b.check("must be an email address" in b.text("#email-error"), "the email's error is the API's")
    b.check(Select(driver.find_elements(By.CSS_SELECTOR, "select.quantity")[0]).first_selected_option.get_attribute("value") == "2",
            "the quantity typed is kept")
    b.check(driver.find_element(By.ID, "name").get_attribute("value") == "Ada Buyer", "the name typed is kept")
    b.check_page("event-invalid-email")

    email = driver.find_element(By.ID, "email")
    email.clear()
    email.send_keys("ada@example.com")
    # Two clicks in a row: the page sends the form once, and the server would place one order anyway.
    button = driver.find_element(By.ID, "place-order")
    driver.execute_script("arguments[0].click(); arguments[0].click();", button)
    b.wait().until(expect.url_contains("/sandbox/checkout/"))
    b.check_page("sandbox-checkout")
    driver.find_element(By.CSS_SELECTOR, "form[action$='/pay'] button").click()

    # Back on our order page: it waits, and says nothing of "paid" until the server does.
    b.wait().until(expect.url_contains("/my-tickets/orders/"))
    b.check("Waiting for payment confirmation" in b.text("#order-state"), "the order page waits for the payment")
    b.check("Paid" not in b.text("#order-state"), "the order page does not say paid before the order is")
    b.check_page("order-waiting")
    open(args["pay_signal"], "w").close()
    b.wait(30).until(expect.text_to_be_present_in_element((By.ID, "order-state"), "Paid."))
    b.check_page("order-paid")

    order_url = driver.current_url
    order_id = order_url.split("/my-tickets/orders/")[1].split("?")[0]
    token = order_url.split("token=")[1]
    images = driver.find_elements(By.CSS_SELECTOR, ".ticket img")
    b.check(len(images) == 2, f"two tickets, saw {len(images)}")
    downloads = driver.find_elements(By.CSS_SELECTOR, ".ticket a[download]")
    b.check(len(downloads) == 2, "a PNG download per ticket")

    _, _, listed = fetch(f"{b.base}/api/v1/public/orders/{order_id}/tickets?token={token}")
    tokens = {ticket["token"] for ticket in json.loads(listed)["data"]}
    _, _, raw = fetch(f"{b.base}/api/v1/events/{args['event']}/checkin/bundle", args["organizer_key"])
    bundle = json.loads(raw)
    keys = json.loads(bundle["payload"])["keys"]
    decoded = set()
    for image in images:
        status, headers, png = fetch(image.get_attribute("src"))
        b.check(status == 200 and headers["Content-Type"] == "image/png", "each QR image is a PNG")
        found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
        b.check(len(found) == 1, "each PNG holds one QR code")
        if not found:
            continue
        text = found[0].text
        decoded.add(text)
        header, payload, signature = text.split(".")
        kid = json.loads(b64url(header))["kid"]
        public = Ed25519PublicKey.from_public_bytes(b64url(keys[kid]["text"]))
        public.verify(b64url(signature), f"{header}.{payload}".encode())  # raises if the signature is wrong
        b.check("evt_" + json.loads(b64url(payload))["evt"] == args["event"], "the token names the event")
    b.check(decoded == tokens, "the QR codes are the order's two tickets")

    status, headers, ics = fetch(driver.find_element(By.CSS_SELECTOR, "a[href*='event.ics']").get_attribute("href"))
    b.check(headers["Content-Type"].startswith("text/calendar"), "the calendar file is text/calendar")
    calendar = icalendar.Calendar.from_ical(ics)
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    b.check(len(events) == 1 and str(events[0]["SUMMARY"]) == args["event_title"], "the .ics names the event")
    b.check(events[0].decoded("DTSTART").strftime("%Y-%m-%dT%H:%M:%SZ") == args["event_starts"], "the .ics starts when the event does")

    # HTML in a title is shown as text and never runs.
    b.open(f"/e/{args['hostile_event']}")
    b.check(b.text("h1") == args["hostile_title"], f"the title is shown as typed, saw {b.text('h1')!r}")
    b.check(driver.execute_script("return window.__pwned === undefined"), "the title's script did not run")
    b.check_page("event-hostile-title")

    print("ORDER " + order_id, flush=True)
    b.finish()


if __name__ == "__main__":
    run(main)
