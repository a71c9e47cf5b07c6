"""«Забыли пароль?» in headless Chromium against the real `callrouter web` process.

The process places the recovery call over its own ESL connection to the FreeSWITCH
simulator running in this test; the simulated mobile keys the code the browser shows.
Selenium blocks, so its calls run in gevent's thread pool while the simulator serves
the call in this thread's event loop. Screenshots (desktop and phone) of each step go
to tests/web/screenshots/recover-*.png.
"""
from __future__ import annotations

import http.server
import json
import re
import shutil
import threading

import gevent
import pytest

from tests.fakeswitch import FakeSwitch
from tests.web.browser import WebProcess, click_and_wait, require_browser, screenshot, start_browser
from tests.web.company import COMPANY_YAML, PASSWORDS, company_on_disk

pytestmark = pytest.mark.timeout(300)

MOBILE = "+79161234567"
NEW = "Novyj-parol-2025"


def in_thread(fn, *args):
    """Run blocking Selenium work off the event loop, so the simulator keeps serving."""
    return gevent.get_hub().threadpool.apply(fn, args)


class SmsGateway(http.server.BaseHTTPRequestHandler):
    """The SMS provider: keeps the JSON bodies it is sent."""

    bodies: list = []

    def do_POST(self):
        self.bodies.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0))))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def recovery_site(tmp_path_factory):
    chromium, driver = require_browser()
    sms = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SmsGateway)
    threading.Thread(target=sms.serve_forever, daemon=True).start()
    sim = FakeSwitch(scale=0.1, password="ClueCon").start()
    home = tmp_path_factory.mktemp("recover")
    host, port = sim.inbound_address
    text = COMPANY_YAML.replace("  timezone: Europe/Moscow\n",
                                "  timezone: Europe/Moscow\n  gateway: trunk\n  caller_id: \"+74951234567\"\n")
    config, store = company_on_disk(home, f"freeswitch: {{host: {host}, port: {port}, password: ClueCon}}\n"
                                    "recovery: {ring_timeout: 20, sms: {url: 'http://127.0.0.1:%d/sms', "
                                    "body: '{\"phone\": \"{phone}\", \"text\": \"{text}\"}'}}\n"
                                    % sms.server_port, company_yaml=text)
    process = WebProcess(config, home / "web.log")
    browser = None
    try:
        in_thread(process.wait_ready)
        browser = in_thread(start_browser, chromium, driver)
        yield process, browser, store, sim
    finally:
        if browser is not None:
            in_thread(browser.quit)
            shutil.rmtree(browser.profile_dir, ignore_errors=True)
        process.stop()
        store.close()
        sim.stop()
        sms.shutdown()


def wait_for(browser, css: str, timeout: float = 15):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(browser, timeout).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))


def test_forgot_password_call_the_mobile_key_the_code_set_a_new_password(recovery_site):
    process, browser, store, sim = recovery_site
    sim.mobile(MOBILE, answer_after=2)
    from selenium.webdriver.common.by import By

    def ask():
        browser.delete_all_cookies()
        browser.get(process.url + "/signin")
        click_and_wait(browser, "#forgot")
        screenshot(browser, "recover-form")
        browser.find_element(By.CSS_SELECTOR, "#login").send_keys("petr")
        click_and_wait(browser, "#recover-submit")
        code = wait_for(browser, "#code").text.replace(" ", "").strip()
        screenshot(browser, "recover-code")
        return code, browser.find_element(By.CSS_SELECTOR, "body").text

    code, text = in_thread(ask)
    assert len(code) == 6 and code.isdigit() and "мы звоним на него" in text

    call = sim.wait_originated(timeout=15)
    assert (call.number, call.caller_id) == (MOBILE, "+74951234567")
    call.press(code)
    assert call.wait(15)

    def set_password():
        wait_for(browser, "#password-form", timeout=20)
        screenshot(browser, "recover-verified")
        browser.find_element(By.CSS_SELECTOR, "#new").send_keys(NEW)
        browser.find_element(By.CSS_SELECTOR, "#again").send_keys(NEW)
        click_and_wait(browser, "#password-submit")
        screenshot(browser, "recover-done")
        done = browser.find_element(By.CSS_SELECTOR, "body").text
        click_and_wait(browser, "#to-signin")
        browser.find_element(By.CSS_SELECTOR, "#login").send_keys("petr")
        browser.find_element(By.CSS_SELECTOR, "#password").send_keys(NEW)
        click_and_wait(browser, "#signin-submit")
        return done, browser.current_url

    done, url = in_thread(set_password)
    assert "Пароль изменён" in done and "софтфонах" in done
    assert url.endswith("/calls")


def test_a_wrong_code_on_the_mobile_is_shown_with_the_tries_left(recovery_site):
    process, browser, store, sim = recovery_site
    sim.mobile(MOBILE, answer_after=1)
    from selenium.webdriver.common.by import By
    before = len(sim.originated)

    def ask():
        browser.delete_all_cookies()
        browser.get(process.url + "/recover")
        browser.find_element(By.CSS_SELECTOR, "#login").send_keys("203")
        click_and_wait(browser, "#recover-submit")
        return wait_for(browser, "#code").text.replace(" ", "").strip()

    code = in_thread(ask)
    call = sim.wait_originated(before + 1, timeout=15)
    call.press("000000" if code != "000000" else "111111")
    assert call.wait(15)

    def result():
        wait_for(browser, "#call-again", timeout=20)
        screenshot(browser, "recover-wrong")
        return browser.find_element(By.CSS_SELECTOR, "#recover-progress").text

    assert "Осталось попыток: 2" in in_thread(result)


def test_no_answer_then_a_code_by_sms(recovery_site):
    process, browser, store, sim = recovery_site
    sim.mobile("+79167654321", answer_after=None)                 # maria's mobile rings out
    from selenium.webdriver.common.by import By
    before = len(sim.originated)

    def ask():
        browser.delete_all_cookies()
        browser.get(process.url + "/recover")
        browser.find_element(By.CSS_SELECTOR, "#login").send_keys("maria")
        click_and_wait(browser, "#recover-submit")
        wait_for(browser, "#sms", timeout=30)                     # the call rang out: SMS is offered
        screenshot(browser, "recover-ended")
        click_and_wait(browser, "#sms")
        wait_for(browser, "#sms-code")
        screenshot(browser, "recover-sms")

    in_thread(ask)
    assert len(sim.originated) == before + 1
    with gevent.Timeout(10):
        while not SmsGateway.bodies:
            gevent.sleep(0.02)
    (sent,) = [b for b in SmsGateway.bodies if b["phone"] == "+79167654321"]
    code = re.search(r"\b(\d{6})\b", sent["text"]).group(1)

    def type_code():
        browser.find_element(By.CSS_SELECTOR, "#sms-code").send_keys(code)
        click_and_wait(browser, "#sms-code-submit")
        return wait_for(browser, "#password-form") is not None

    assert in_thread(type_code)
