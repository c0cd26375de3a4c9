"""A buyer's credit in a real browser: buys the demo credit pack through the Sandbox and sees its
page wait and then say paid, signs in to My tickets with the emailed link and sees the credit,
then pays a ticket with it alone, at once, on the event's page.

argv[1] is JSON: base, event, outbox (the folder of .eml files), shots."""
import json
import sys

from browser_kit import Browser, By, Select, expect, mailed_link, run

BUYER = "grace@example.com"


def sign_in_link(outbox, address):
    """The My tickets link emailed to `address`, once the mail worker has written it."""
    return mailed_link(outbox, address, "sign-in link", r"https?://\S+/my-tickets/sign-in\?token=\S+")


def main():
    args = json.loads(sys.argv[1])
    b = Browser(args["base"], args["shots"])
    driver = b.driver

    # The pack shop, then the Sandbox's checkout.
    b.open("/credit")
    b.check(b.text("h1") == "Buy credit", "the credit shop's title")
    b.check("50.00 EUR of credit for 45.00 EUR (5.00 EUR extra)" in b.text("form.pack"), "the demo pack, its price and its bonus")
    b.check_page("credit")
    pack = driver.find_element(By.CSS_SELECTOR, "form.pack")
    pack.find_element(By.CSS_SELECTOR, "input[name=email]").send_keys(BUYER)
    pack.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    b.wait().until(expect.url_contains("/sandbox/checkout/"))
    driver.find_element(By.CSS_SELECTOR, "form[action$='/pay'] button").click()

    # Back on the purchase's page, which reloads itself once the payment is applied.
    b.wait().until(expect.url_contains("/credit/orders/"))
    b.wait(30).until(expect.text_to_be_present_in_element((By.ID, "order-state"), "Paid."))
    b.check(f"50.00 EUR of credit is in the wallet of {BUYER}" in b.text("#order-state"), "the purchase says where the credit went")
    b.check_page("credit-paid")

    # My tickets, signed in with the emailed link, shows the credit.
    b.open("/my-tickets/sign-in")
    driver.find_element(By.CSS_SELECTOR, "input[name=email]").send_keys(BUYER)
    driver.find_element(By.CSS_SELECTOR, "form[action$='/sign-in/link'] button").click()
    link = sign_in_link(args["outbox"], BUYER)
    b.check(link is not None, "a pack's buyer gets a sign-in link")
    driver.get(link)
    driver.find_element(By.CSS_SELECTOR, "form[action$='/my-tickets/sign-in'] button").click()
    b.wait().until(expect.presence_of_element_located((By.ID, "credit")))
    b.check("50.00 EUR to spend" in b.text("#credit"), f"the wallet's balance, saw {b.text('#credit')!r}")
    b.check("Credit pack bought" in b.text("#credit"), "the purchase among the movements")
    b.check_page("my-tickets-credit")

    # The event's page offers the credit; it pays one ticket alone, at once.
    b.open(f"/e/{args['event']}")
    box = driver.find_element(By.CSS_SELECTOR, "input[name=use_credit]")
    b.check(box.is_selected(), "the credit is offered, ticked")
    Select(driver.find_elements(By.CSS_SELECTOR, "select.quantity")[0]).select_by_value("1")
    driver.find_element(By.ID, "email").send_keys(BUYER)
    driver.find_element(By.ID, "place-order").click()
    b.wait().until(expect.url_contains("/my-tickets/orders/"))
    b.check("Paid." in b.text("#order-state"), "paid with credit: no provider, no waiting")
    b.check(len(driver.find_elements(By.CSS_SELECTOR, ".ticket img")) == 1, "its ticket is there")
    b.check_page("order-paid-by-credit")
    order_id = driver.current_url.split("/my-tickets/orders/")[1].split("?")[0]

    b.open("/my-tickets")
    b.check("25.00 EUR to spend" in b.text("#credit"), f"what is left, saw {b.text('#credit')!r}")
    print("ORDER " + order_id, flush=True)
    b.finish()


if __name__ == "__main__":
    run(main)
