"""What every browser test shares: headless Chromium from Debian through its own driver (no
download), and a visit that saves the page at phone and desktop size, runs axe-core and reads the
console. Any serious or critical accessibility violation or console error fails the test."""
import email
import email.policy
import glob
import json
import os
import re
import sys
import time
import urllib.parse

os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not look for a browser online.

from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as expect
from selenium.webdriver.support.ui import Select, WebDriverWait

def mailed_link(outbox, address, subject, pattern, seconds=20):
    """The first link matching `pattern` in a plain-text email to `address` whose subject contains
    `subject`, among the .eml files the mail worker writes to `outbox`, once it has written it."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        for path in sorted(glob.glob(os.path.join(outbox, "*.eml"))):
            with open(path, "rb") as handle:
                message = email.message_from_binary_file(handle, policy=email.policy.default)
            if address not in str(message["To"]) or subject not in str(message["Subject"]):
                continue
            found = re.search(pattern, message.get_body(preferencelist=("plain",)).get_content())
            if found:
                return found.group(0)
        time.sleep(0.2)
    return None


PHONE = (412, 915)
DESKTOP = (1280, 900)


class Browser:
    def __init__(self, base, shots):
        self.base = base.rstrip("/")
        self.shots = shots
        os.makedirs(shots, exist_ok=True)
        options = webdriver.ChromeOptions()
        options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--no-first-run", "--disable-extensions", f"--window-size={PHONE[0]},{PHONE[1]}"]:
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
        self.driver = webdriver.Chrome(service=Service(driver), options=options)
        self.driver.set_page_load_timeout(30)
        self.failures = []
        self.figures = {}

    def close(self):
        self.driver.quit()

    def url(self, path):
        return path if path.startswith("http") else self.base + path

    def open(self, path):
        self.driver.get(self.url(path))

    def check_page(self, name, offline=False):
        """Screenshots at phone and desktop size, axe-core, and the console since the last check
        (with `offline`, requests refused while the test had stopped the server are expected)."""
        driver = self.driver
        for label, (width, height) in (("phone", PHONE), ("desktop", DESKTOP)):
            driver.set_window_size(width, height)
            driver.save_screenshot(os.path.join(self.shots, f"{name}-{label}.png"))
        driver.set_window_size(*PHONE)
        axe = Axe(driver)
        axe.inject()
        results = axe.run()
        for violation in results["violations"]:
            if violation.get("impact") in ("serious", "critical"):
                targets = [node.get("target") for node in violation.get("nodes", [])][:3]
                self.fail(f"{name}: accessibility ({violation['impact']}) {violation['id']}: {violation['help']} at {targets}")
        self.check_console(name, offline)

    def check_console(self, name, offline=False):
        """Fails on every console error since the last check."""
        for entry in self.driver.get_log("browser"):
            message = entry.get("message", "")
            if entry.get("level") != "SEVERE" or self.is_page_status(message):
                continue
            if offline and "net::ERR_CONNECTION_REFUSED" in message:
                continue
            self.fail(f"{name}: console error: {message}")

    @staticmethod
    def is_page_status(message):
        """Chrome logs a page's own 4xx as a failed resource. A page's status is the server's answer
        (a form with mistakes is a 422, a refused sign-in a 401), not an error of the page; a
        failing style sheet, script, image or API call (paths under /static/ or /api/, or with an
        extension) still counts."""
        found = re.match(r"(https?://[^ ]+) - Failed to load resource: the server responded with a status of 4\d\d", message)
        if not found:
            return False
        path = urllib.parse.urlsplit(found.group(1)).path
        return not path.startswith(("/static/", "/api/")) and "." not in path.rsplit("/", 1)[-1]

    def navigation_figures(self, name):
        """Time to first byte and what the page weighs before images (document, styles, scripts)."""
        timing = self.driver.execute_script("""
            const nav = performance.getEntriesByType('navigation')[0];
            const resources = performance.getEntriesByType('resource')
                .filter(r => r.initiatorType !== 'img' && r.initiatorType !== 'image');
            return {ttfb: nav.responseStart - nav.requestStart, document: nav.transferSize, decoded: nav.decodedBodySize,
                    resources: resources.reduce((sum, r) => sum + (r.decodedBodySize || 0), 0)};
        """)
        weight = timing["decoded"] + timing["resources"]
        self.figures[name] = {"ttfb_ms": round(timing["ttfb"], 1), "bytes_before_images": weight}
        if weight > 100_000:
            self.fail(f"{name}: {weight} bytes before images, over 100 KB")
        return self.figures[name]

    def wait(self, seconds=30):
        # Pages that show themselves again (a refund waiting for its provider) replace their elements.
        # Chromium reports an element read during that reload as a bare WebDriverException ("Node with
        # given id does not belong to the document"), not as stale; a wait looks again, and a real
        # failure still ends in the wait's timeout.
        return WebDriverWait(self.driver, seconds, poll_frequency=0.1,
                             ignored_exceptions=(NoSuchElementException, StaleElementReferenceException, WebDriverException))

    def text(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css).text

    def fail(self, message):
        self.failures.append(message)
        print("FAIL", message, flush=True)

    def check(self, condition, message):
        if not condition:
            self.fail(message)
        return condition

    def finish(self):
        print("FIGURES " + json.dumps(self.figures), flush=True)
        self.close()
        if self.failures:
            print(f"{len(self.failures)} failure(s)", flush=True)
            sys.exit(1)
        print("browser test passed", flush=True)


def run(main):
    """Runs a browser script's `main`; an exception's traceback goes to standard output, which the
    Swift test shows when the script fails (it does not read standard error)."""
    import traceback
    try:
        main()
    except SystemExit:
        raise
    except BaseException:
        traceback.print_exc(file=sys.stdout)
        sys.stdout.flush()
        sys.exit(1)


__all__ = ["Browser", "By", "Select", "expect", "run", "time"]
