"""«Личный кабинет» in a real headless Chromium against the real `callrouter web` process.

The process reads its own config file and SQLite store (prepared here with passwords
and a few call records); the browser signs in, filters, opens a call's path, exports,
looks at statistics, switches forwarding, changes a password and signs out. Each page
is saved as a desktop and a phone-sized screenshot in tests/web/screenshots/.
"""
from __future__ import annotations

import datetime as dt
import shutil
import urllib.request

import pytest

from store.records import CallRecord, LegRecord, StepRecord
from tests.web.browser import DESKTOP, PHONE, WebProcess, click_and_wait, require_browser, screenshot, start_browser
from tests.web.company import PASSWORDS, company_on_disk

pytestmark = pytest.mark.timeout(300)


def records(now: dt.datetime) -> list[CallRecord]:
    t1, t2, t3 = now - dt.timedelta(minutes=50), now - dt.timedelta(minutes=30), now - dt.timedelta(minutes=10)
    sec = lambda t, s: t + dt.timedelta(seconds=s)       # noqa: E731
    return [
        CallRecord(uuid="call-answered", started=t1, caller="+74951112233", caller_name="ООО Клиент",
                   called="+74951234568", direction="inbound", target="department:Продажи", reason="department",
                   outcome="answered", answered=sec(t1, 8), ended=sec(t1, 190), answered_by="petr",
                   hangup_cause="NORMAL_CLEARING", steps=[
                       StepRecord("ring", "department:Продажи", "department", t1, sec(t1, 8), [
                           LegRecord("office", "ivan", "user/ivan@pbx.example.com", 0, 15),
                           LegRecord("office", "petr", "user/petr@pbx.example.com", 0, 15)],
                           "SUCCESS", "petr")]),
        CallRecord(uuid="call-missed", started=t2, caller="+79035550000", caller_name="",
                   called="203", direction="inbound", target="employee:petr", reason="working",
                   outcome="voicemail", answered=sec(t2, 26), ended=sec(t2, 60), answered_by="",
                   hangup_cause="NORMAL_CLEARING", steps=[
                       StepRecord("ring", "employee:petr", "direct", t2, sec(t2, 25), [
                           LegRecord("office", "petr", "user/petr@pbx.example.com", 0, 25),
                           LegRecord("mobile", "petr", "sofia/gateway/trunk/+79161234567", 5, 20)],
                           "NO_ANSWER", ""),
                       StepRecord("voicemail", "employee:petr", "no_answer", sec(t2, 25), sec(t2, 60))]),
        CallRecord(uuid="call-internal", started=t3, caller="202", caller_name="Иван Петров", called="203",
                   direction="internal", target="employee:petr", reason="working", outcome="answered",
                   answered=sec(t3, 4), ended=sec(t3, 64), answered_by="petr", hangup_cause="NORMAL_CLEARING",
                   steps=[StepRecord("ring", "employee:petr", "direct", t3, sec(t3, 4), [
                       LegRecord("office", "petr", "user/petr@pbx.example.com", 0, 120)], "SUCCESS", "petr")]),
    ]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    chromium, driver = require_browser()
    home = tmp_path_factory.mktemp("web")
    config, store = company_on_disk(home)
    store.write_records(records(dt.datetime.now(dt.timezone.utc)))
    process = WebProcess(config, home / "web.log")
    browser = None
    try:
        process.wait_ready()
        browser = start_browser(chromium, driver)
        yield process, browser, store
    finally:
        if browser is not None:
            browser.quit()
            shutil.rmtree(browser.profile_dir, ignore_errors=True)
        process.stop()
        store.close()


@pytest.fixture
def web(site):
    process, browser, store = site
    browser.delete_all_cookies()
    return Page(process.url, browser), store


class Page:
    def __init__(self, base: str, browser):
        self.base, self.browser = base, browser

    def open(self, path: str) -> "Page":
        self.browser.get(self.base + path)
        return self

    def find(self, css: str):
        from selenium.webdriver.common.by import By
        return self.browser.find_element(By.CSS_SELECTOR, css)

    def all(self, css: str):
        from selenium.webdriver.common.by import By
        return self.browser.find_elements(By.CSS_SELECTOR, css)

    def text(self) -> str:
        return self.find("body").text

    def click_and_wait(self, css: str) -> None:
        click_and_wait(self.browser, css)

    def sign_in(self, login: str, password: str) -> None:
        self.open("/signin")
        self.find("#login").send_keys(login)
        self.find("#password").send_keys(password)
        self.click_and_wait("#signin-submit")

    @property
    def path(self) -> str:
        return self.browser.current_url[len(self.base):]


def test_sign_in_lands_on_my_calls(web):
    page, _ = web
    page.open("/profile")
    assert page.path.startswith("/signin")
    screenshot(page.browser, "signin")
    page.find("#login").send_keys("petr")
    page.find("#password").send_keys(PASSWORDS["petr"])
    page.click_and_wait("#signin-submit")
    assert page.path == "/profile"
    assert "Пётр Сидоров" in page.text()
    page.open("/calls")
    assert {row.get_attribute("data-uuid") for row in page.all("#calls tbody tr[data-uuid]")} == {
        "call-answered", "call-missed"}                       # a user's history hides internal calls
    screenshot(page.browser, "calls")


def test_a_wrong_password_is_refused_with_a_message(web):
    page, _ = web
    page.sign_in("ivan", "not-the-password")
    assert page.path.startswith("/signin")
    assert page.find("#signin-error").text == "Неверный логин или пароль."
    screenshot(page.browser, "signin-wrong")


def test_repeated_failures_show_the_throttling_message(web):
    page, _ = web
    for _ in range(3):
        page.sign_in("maria", "not-the-password")
    page.sign_in("maria", PASSWORDS["maria"])
    message = page.find("#signin-error").text
    assert message.startswith("Слишком много неудачных попыток входа. Повторите через")
    screenshot(page.browser, "signin-throttled")


def test_my_calls_with_a_filter_and_a_calls_path(web):
    page, _ = web
    page.sign_in("petr", PASSWORDS["petr"])
    page.open("/calls")
    from selenium.webdriver.support.ui import Select
    Select(page.find("#f-period")).select_by_value("week")
    Select(page.find("#f-outcome")).select_by_value("not_answered")
    page.click_and_wait("#f-apply")
    rows = page.all("#calls tbody tr[data-uuid]")
    assert [r.get_attribute("data-uuid") for r in rows] == ["call-missed"]
    screenshot(page.browser, "calls-filtered")
    page.click_and_wait("#calls tbody tr[data-uuid] a")
    assert page.path == "/calls/call-missed"
    path = page.find("#path").text
    assert "Звонок: Пётр Сидоров (203)" in path and "никто не ответил" in path
    assert "мобильный" in path and "Голосовая почта" in path
    screenshot(page.browser, "call-path")


def test_csv_export_is_offered_only_with_the_right(web):
    page, _ = web
    page.sign_in("petr", PASSWORDS["petr"])
    page.open("/calls")
    link = page.find("#export-csv").get_attribute("href")
    cookie = page.browser.get_cookie("callrouter_session")["value"]
    request = urllib.request.Request(link, headers={"Cookie": f"callrouter_session={cookie}"})
    with urllib.request.urlopen(request) as response:
        body = response.read().decode("utf-8")
    assert body.startswith("\ufeffID звонка;Начало;") and "call-missed" in body
    page.browser.delete_all_cookies()
    page.sign_in("olga", PASSWORDS["olga"])              # can_download_history: false
    page.open("/calls")
    assert page.all("#export-csv") == []


def test_the_statistics_chart_is_visible(web):
    page, _ = web
    page.sign_in("boss", PASSWORDS["boss"])
    page.open("/stats?period=week")
    chart = page.find("#hour-chart")
    assert chart.is_displayed() and chart.size["height"] > 100
    assert len(page.all("#hour-chart rect.bar-answered")) >= 1
    assert len(page.all("#hour-chart rect.bar-missed")) >= 1
    screenshot(page.browser, "stats")


def test_the_forward_switch(web):
    page, store = web
    page.sign_in("petr", PASSWORDS["petr"])
    page.open("/profile")
    assert page.find("#forward-state").text == "выключена"
    page.click_and_wait("#forward-toggle")
    assert page.find("#forward-state").text == "включена"
    assert store.overrides()["petr"].forward_to_mobile is True
    screenshot(page.browser, "profile")
    page.click_and_wait("#forward-toggle")
    assert page.find("#forward-state").text == "выключена"
    assert "petr" not in store.overrides()


def test_password_change_then_sign_out(web):
    page, store = web
    page.sign_in("pc", PASSWORDS["pc"])
    page.open("/profile")
    page.find("#current").send_keys(PASSWORDS["pc"])
    page.find("#new").send_keys("Novyi-Parol-2025")
    page.find("#again").send_keys("Novyi-Parol-2025")
    page.click_and_wait("#password-submit")
    assert "зарегистрировать заново" in page.find("#password-ok").text
    screenshot(page.browser, "password-changed")
    assert store.verify_password("pc", "Novyi-Parol-2025")
    page.click_and_wait("#signout")
    assert page.path.startswith("/signin")
    page.open("/profile")
    assert page.path.startswith("/signin")
    page.sign_in("pc", "Novyi-Parol-2025")
    assert page.path == "/calls"


def test_admin_pages(web):
    page, _ = web
    page.sign_in("ivan", "not-the-password")             # a failure of its own for the sign-in log
    page.sign_in("boss", PASSWORDS["boss"])
    page.open("/admin/directory")
    assert "Пётр Сидоров" in page.text()
    screenshot(page.browser, "admin-directory")
    page.open("/admin/plan?to=300")
    explained = page.find("#plan-text").text
    assert "Отдел «Продажи» (300)" in explained and "звонит Иван Петров: рабочий телефон" in explained
    assert "ring" not in explained and "no answer" not in explained           # the page speaks Russian
    screenshot(page.browser, "admin-plan")
    page.browser.set_window_size(*PHONE)                  # on a phone every admin page is in sight, none off-screen
    outside = page.browser.execute_script(
        "return [...document.querySelectorAll('.nav a')]"
        ".filter(a => a.getBoundingClientRect().right > window.innerWidth).map(a => a.textContent)")
    page.browser.set_window_size(*DESKTOP)
    assert outside == []
    page.open("/admin/signins")
    assert "неверный пароль" in page.text()
    screenshot(page.browser, "admin-signins")
