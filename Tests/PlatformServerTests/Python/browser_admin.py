"""A platform admin in a real browser: signs in, sees the ledger's invariants hold, gives the demo
organizer a Sandbox payout method, previews a payout run and confirms it; the Sandbox settles it.
The organizer's owner then finds the payout on the money page.

argv[1] is JSON: base, admin_email, admin_password, owner_email, owner_password, organizer, shots."""
import json
import sys
import time

from browser_kit import Browser, By, expect, run


def sign_in(b, address, password):
    b.driver.delete_all_cookies()
    b.open("/backoffice/sign-in")
    b.driver.find_element(By.ID, "email").send_keys(address)
    b.driver.find_element(By.ID, "password").send_keys(password)
    b.driver.find_element(By.ID, "sign-in").click()


def main():
    args = json.loads(sys.argv[1])
    b = Browser(args["base"], args["shots"])
    driver = b.driver
    sign_in(b, args["admin_email"], args["admin_password"])
    b.wait().until(expect.presence_of_element_located((By.ID, "invariants")))
    b.check("invariants hold" in b.text("#invariants"), "the ledger's invariants hold")
    b.check_page("admin-ledger")

    b.open("/admin/organizers")
    form = f"#organizer-{args['organizer']}"
    driver.find_element(By.CSS_SELECTOR, f"{form} input[name=payout_provider]").clear()
    driver.find_element(By.CSS_SELECTOR, f"{form} input[name=payout_provider]").send_keys("sandbox")
    driver.find_element(By.CSS_SELECTOR, f"{form} input[name=payout_account]").clear()
    driver.find_element(By.CSS_SELECTOR, f"{form} input[name=payout_account]").send_keys("sandbox:demo")
    driver.find_element(By.CSS_SELECTOR, f"{form} button").click()
    b.wait().until(expect.text_to_be_present_in_element((By.CSS_SELECTOR, "[role=status]"), "saved"))
    b.check_page("admin-organizers")

    b.open("/admin/payouts")
    driver.find_element(By.ID, "preview").click()
    b.wait().until(expect.presence_of_element_located((By.ID, "run-preview")))
    b.check("planned" in b.text("#run-preview"), f"the preview plans a payout: {b.text('#run-preview')!r}")
    b.check_page("admin-payout-preview")
    driver.find_element(By.ID, "confirm").click()
    b.wait().until(expect.presence_of_element_located((By.ID, "payout-notice")))
    b.check("1 payout sent" in b.text("#payout-notice"), f"the run pays one organizer: {b.text('#payout-notice')!r}")
    b.check_page("admin-payout-run")

    b.open("/admin/triage")
    b.check_page("admin-triage")

    sign_in(b, args["owner_email"], args["owner_password"])
    b.wait().until(expect.presence_of_element_located((By.CSS_SELECTOR, "h1")))
    for _ in range(100):
        b.open("/backoffice/money")
        if driver.find_elements(By.CSS_SELECTOR, "#payouts tbody tr") and "settled" in b.text("#payouts"):
            break
        time.sleep(0.2)
    b.check("settled" in b.text("#payouts"), f"the Sandbox settled the payout: {b.text('#payouts')!r}")
    b.check_page("backoffice-money")
    driver.find_element(By.CSS_SELECTOR, "#payouts tbody a").click()
    b.wait().until(expect.text_to_be_present_in_element((By.CSS_SELECTOR, "h2"), "Remittance advice"))
    b.check_page("backoffice-payout")
    b.finish()


if __name__ == "__main__":
    run(main)
