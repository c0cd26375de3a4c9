"""An organizer's owner in a real browser: signs in, sees the buyer's order on the dashboard and in
the list, refunds its second ticket and sees the Sandbox confirm it, opens the editor, the devices
(with a pairing QR code) and the money,
makes and revokes nothing without a CSRF value, invites door staff by email, and the door member
who joins through the emailed link cannot open the dashboard. The session cookie's flags are checked.

argv[1] is JSON: base, event (the one the buyer bought), buyer_email, other_order (another organizer's), owner_email, owner_password, outbox (the folder of .eml files), shots."""
import json
import sys

from browser_kit import Browser, By, Select, expect, mailed_link, run


def sign_in(b, address, password):
    b.open("/backoffice/sign-in")
    b.driver.find_element(By.ID, "email").send_keys(address)
    b.driver.find_element(By.ID, "password").send_keys(password)
    b.driver.find_element(By.ID, "sign-in").click()


def invitation_link(outbox, address):
    """The link of the invitation emailed to `address`, once the mail worker has written it."""
    return mailed_link(outbox, address, "invited", r"https?://\S+/backoffice/invitation\?token=\S+")


def main():
    args = json.loads(sys.argv[1])
    b = Browser(args["base"], args["shots"])
    driver = b.driver

    # Pages anyone may open: My tickets' sign-in, the password reset, an address that leads nowhere.
    for path, name in (("/my-tickets/sign-in", "my-tickets-sign-in"), ("/backoffice/password-reset", "backoffice-password-reset"),
                       ("/e/evt_01nothing00000000000000000", "not-found")):
        b.open(path)
        b.check_page(name)

    b.open("/backoffice")
    b.wait().until(expect.url_contains("/backoffice/sign-in"))
    b.check_page("backoffice-sign-in")
    sign_in(b, args["owner_email"], "not the password")
    b.wait().until(expect.presence_of_element_located((By.ID, "sign-in-error")))
    b.check("Wrong email address or password." in b.text("#sign-in-error"), "a wrong password is refused")
    b.check(driver.find_element(By.ID, "email").get_attribute("value") == args["owner_email"], "the address typed is kept")

    sign_in(b, args["owner_email"], args["owner_password"])
    b.wait().until(expect.presence_of_element_located((By.CSS_SELECTOR, "h1")))
    b.check(b.text("h1") == "Dashboard", f"the owner lands on the dashboard, saw {b.text('h1')!r}")
    card = f"#event-{args['event']}"
    sold = driver.find_element(By.CSS_SELECTOR, f"{card} .sold").text
    b.check(sold.startswith("2 / "), f"the dashboard counts the buyer's two seats, saw {sold!r}")
    b.check(len(driver.find_elements(By.CSS_SELECTOR, f"{card} svg.chart rect")) == 30, "a bar per day in the sales chart")
    print("dashboard", b.navigation_figures("dashboard"), flush=True)
    b.check_page("backoffice-dashboard")

    cookie = next((c for c in driver.get_cookies() if c["name"] == "backoffice_session"), None)
    b.check(cookie is not None and cookie.get("httpOnly") is True and cookie.get("sameSite") == "Lax",
            f"the session cookie is HttpOnly and SameSite=Lax: {cookie and {k: cookie.get(k) for k in ('httpOnly', 'sameSite', 'secure')}}")
    b.check(driver.execute_script("return document.cookie.indexOf('backoffice_session') === -1"), "scripts cannot read the session")

    # The buyer's order in the list, and the second ticket refunded from its page.
    b.open("/backoffice/orders?q=" + args["buyer_email"])
    b.check_page("backoffice-orders")
    driver.find_element(By.CSS_SELECTOR, "table.orders tbody a").click()
    b.wait().until(expect.presence_of_element_located((By.ID, "refund-form")))
    order_url = driver.current_url
    b.check_page("backoffice-order")
    driver.find_element(By.CSS_SELECTOR, "input[name=mode][value=tickets]").click()
    boxes = driver.find_elements(By.CSS_SELECTOR, "#refund-form input[type=checkbox]")
    b.check(len(boxes) == 2, f"both tickets may be refunded, saw {len(boxes)}")
    boxes[-1].click()
    driver.find_element(By.ID, "reason").send_keys("cannot come")
    driver.find_element(By.ID, "refund").click()
    b.wait(30).until(lambda d: "succeeded" in d.find_element(By.ID, "refunds").text
                     and "partially refunded" in d.find_element(By.ID, "order-status").text)
    b.check("partially refunded" in b.text("#order-status"), "the order is partly refunded once the Sandbox confirms")
    statuses = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "td.ticket-status")]
    b.check(statuses == ["valid", "refunded"], f"the second ticket is refunded: {statuses}")
    b.check_page("backoffice-order-refunded")

    # The event editor, the devices and the money.
    b.open(f"/backoffice/events/{args['event']}")
    b.check_page("backoffice-event")
    b.open("/backoffice/events/new")
    b.check_page("backoffice-event-new")
    b.open(f"/backoffice/events/{args['event']}/devices")
    driver.find_element(By.ID, "name").send_keys("Door 2")
    driver.find_element(By.CSS_SELECTOR, "form[action$='/devices'] button").click()
    b.wait().until(expect.presence_of_element_located((By.ID, "new-device")))
    b.check(driver.find_element(By.CSS_SELECTOR, "img.pairing").get_attribute("naturalWidth") not in (None, "0"), "the pairing QR code shows")
    b.check_page("backoffice-devices")
    b.open("/backoffice/money")
    b.check_page("backoffice-money-owner")

    # Another organizer's order is not found.
    b.open("/backoffice/orders/" + args["other_order"])
    b.check(b.text("h1") == "No such order", "another organizer's order answers 404")

    # A form without its CSRF value is refused and changes nothing.
    b.open("/backoffice/api-keys")
    b.check_page("backoffice-api-keys")
    before = len(driver.find_elements(By.CSS_SELECTOR, "tbody tr"))
    driver.find_element(By.ID, "label").send_keys("forged")
    driver.execute_script("document.querySelectorAll('form[action=\"/backoffice/api-keys\"] input[name=csrf]').forEach(e => e.remove())")
    driver.find_element(By.CSS_SELECTOR, "form[action='/backoffice/api-keys'] button").click()
    b.wait().until(expect.text_to_be_present_in_element((By.CSS_SELECTOR, "h1"), "This form expired"))
    b.open("/backoffice/api-keys")
    b.check(len(driver.find_elements(By.CSS_SELECTOR, "tbody tr")) == before, "no key was made without the CSRF value")

    # The owner invites door staff; they join through the emailed link.
    b.open("/backoffice/members")
    b.check_page("backoffice-members")
    driver.find_element(By.ID, "invite-email").send_keys("door.staff@example.com")
    Select(driver.find_element(By.ID, "invite-role")).select_by_value("door")
    driver.find_element(By.CSS_SELECTOR, "form[action='/backoffice/members/invitations'] button").click()
    b.wait().until(expect.text_to_be_present_in_element((By.CSS_SELECTOR, "[role=status]"), "Invitation sent"))
    link = invitation_link(args["outbox"], "door.staff@example.com")
    if not b.check(link is not None, "the invitation arrives by email"):
        b.finish()
    driver.delete_all_cookies()
    b.open(link)
    b.check_page("backoffice-invitation")
    driver.find_element(By.ID, "password").send_keys("door staff password")
    driver.find_element(By.CSS_SELECTOR, "form[action='/backoffice/invitation'] button").click()
    b.wait().until(expect.url_contains("/door"))
    b.check("Door scanner" in b.text("h1"), "door staff land on the door page")
    b.open("/backoffice")
    b.wait().until(expect.text_to_be_present_in_element((By.CSS_SELECTOR, "h1"), "Not for your role"))
    b.check("Your role (door)" in driver.page_source, "door staff cannot open the dashboard")
    b.check_page("backoffice-door-refused")
    b.open(order_url)
    b.check(b.text("h1") == "Not for your role" and not driver.find_elements(By.ID, "refund-form"), "door staff cannot open the refund page")
    b.finish()


if __name__ == "__main__":
    run(main)
