"""A recording played in a real headless Chromium from the real `callrouter web` process.

The browser's own audio player fetches the file in ranged requests (206) and plays
it; the admin then finds the listen in «Журнал прослушиваний». Screenshots:
call-recording-*.png and listens-*.png in tests/web/screenshots/.
"""
from __future__ import annotations

import datetime as dt
import shutil

import pytest

from store.recordings import relative_path
from tests.fakeswitch.wav import write_stereo
from tests.web.browser import WebProcess, require_browser, screenshot, start_browser
from tests.web.company import PASSWORDS, company_on_disk
from tests.web.test_browser import Page, records

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    chromium, driver = require_browser()
    home = tmp_path_factory.mktemp("web-recordings")
    config, store = company_on_disk(home, "recordings: {dir: recordings}\n")
    calls = records(dt.datetime.now(dt.timezone.utc))
    answered = calls[0]
    answered.recording = relative_path(answered.uuid, answered.started)
    answered.recording_state, answered.recording_ms = "ok", 6000
    answered.recording_expires = answered.started + dt.timedelta(days=90)
    (home / "recordings" / answered.recording).parent.mkdir(parents=True)
    write_stereo(home / "recordings" / answered.recording, 6.0)
    store.write_records(calls)
    process = WebProcess(config, home / "web.log")
    browser = None
    try:
        process.wait_ready()
        browser = start_browser(chromium, driver)
        yield Page(process.url, browser), store
    finally:
        if browser is not None:
            browser.quit()
            shutil.rmtree(browser.profile_dir, ignore_errors=True)
        process.stop()
        store.close()


def test_a_recording_plays_in_the_browser_and_the_listen_is_logged(site):
    from selenium.webdriver.support.ui import WebDriverWait
    page, _ = site
    page.browser.delete_all_cookies()
    page.sign_in("petr", PASSWORDS["petr"])
    page.open("/calls")
    assert [r.get_attribute("data-uuid") for r in page.all("#calls tbody tr[data-uuid]")
            if r.find_elements("css selector", ".player")] == ["call-answered"]    # the missed call has none
    screenshot(page.browser, "calls-recording")
    page.open("/calls/call-answered")
    player = page.find("#recording-player")
    # A click on the player's own play button (its left end): a user's gesture, which Chromium's
    # autoplay policy asks for before it plays sound.
    from selenium.webdriver.common.action_chains import ActionChains
    ActionChains(page.browser).move_to_element_with_offset(player, -player.size["width"] // 2 + 20, 0).click().perform()
    WebDriverWait(page.browser, 20).until(lambda b: b.execute_script(
        "return arguments[0].currentTime", player) > 0.5)
    state = page.browser.execute_script(
        "const a = arguments[0]; return [a.readyState, a.duration, a.error === null];", player)
    assert state[0] >= 2 and abs(state[1] - 6.0) < 0.05 and state[2]
    page.browser.execute_script("arguments[0].pause()", player)
    screenshot(page.browser, "call-recording")

    page.browser.delete_all_cookies()
    page.sign_in("boss", PASSWORDS["boss"])
    page.open("/admin/recordings/log")
    rows = page.all("#listens tbody tr[data-call]")
    assert [r.get_attribute("data-call") for r in rows] == ["call-answered"]
    assert "Пётр Сидоров" in rows[0].text and "прослушивание" in rows[0].text and "127.0.0.1" in rows[0].text
    screenshot(page.browser, "listens")


def test_no_player_for_a_call_outside_the_viewers_scope(site):
    page, _ = site
    page.browser.delete_all_cookies()
    page.sign_in("olga", PASSWORDS["olga"])                # Поддержка: the recorded call is Продажи's
    page.open("/calls")
    assert page.all(".player") == [] and page.all("#recording-player") == []
