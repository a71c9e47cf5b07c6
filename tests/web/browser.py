"""Running the real `callrouter web` process and a headless Chromium for the browser tests.

Chromium on a closed network, as root, needs the flags below and a fresh profile;
without the background-networking flags it keeps opening connections the network
refuses. The tests skip only when the browser is absent on a developer's machine:
with CI=true or CALLROUTER_REQUIRE_BROWSER=1 (.ci/run) they fail instead.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--lang=ru-RU")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
DESKTOP, PHONE = (1280, 900), (390, 844)


def _find(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name) or (name if os.path.exists(name) else None)
        if found:
            return found
    return None


def require_browser() -> tuple[str, str]:
    chromium = _find("chromium", "/usr/bin/chromium", "chromium-browser")
    driver = _find("chromedriver", "/usr/bin/chromedriver")
    try:
        import selenium  # noqa: F401
    except ImportError:
        chromium = None
    if chromium and driver:
        return chromium, driver
    reason = "Chromium, chromedriver or selenium is not installed (apt-get install chromium chromium-driver chromium-l10n)"
    if os.environ.get("CI") == "true" or os.environ.get("CALLROUTER_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}; CI demands the browser tests")
    pytest.skip(reason)


def start_browser(chromium: str, driver: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="callrouter-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    # Chromium on Linux takes its locale (and so how a date field reads: дд.мм.гггг) from
    # LANGUAGE, not from --lang; the Russian strings come with Debian's chromium-l10n.
    service = Service(driver, env={**os.environ, "LANGUAGE": "ru"})
    browser = webdriver.Chrome(service=service, options=options)
    browser.set_window_size(*DESKTOP)
    browser.implicitly_wait(0)
    browser.profile_dir = profile
    return browser


SERVING = re.compile(rb"callrouter web on http://127\.0\.0\.1:(\d+)/")


def served_port(log: Path) -> int | None:
    """The port `callrouter web --listen 127.0.0.1:0` says it serves on, once it has said so."""
    found = SERVING.search(log.read_bytes()) if log.exists() else None
    return int(found.group(1)) if found else None


class WebProcess:
    """`callrouter web -c FILE --listen 127.0.0.1:0` as a child process; `url` once `wait_ready()`.

    The process binds port 0 and logs the port it got: a port picked free here and bound
    there later could be taken meanwhile by another test's server (pytest-xdist workers)."""

    def __init__(self, config: Path, log: Path):
        self.port: int | None = None
        self._log = open(log, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "daemon", "web", "-c", str(config), "--listen", "127.0.0.1:0"],
            stdout=self._log, stderr=subprocess.STDOUT, cwd=str(config.parent))
        self.log_path = log

    @property
    def url(self) -> str:
        assert self.port is not None, "wait_ready() first"
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"callrouter web exited: {self.log_path.read_text(errors='replace')}")
            self.port = self.port or served_port(self.log_path)
            try:
                if self.port is not None:
                    with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                        if response.status == 200:
                            return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("callrouter web did not answer /healthz")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


def screenshot(browser, name: str) -> None:
    """`name`-desktop.png and `name`-phone.png (the page as tall as its content, up to 3000 px)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    for label, (width, height) in (("desktop", DESKTOP), ("phone", PHONE)):
        browser.set_window_size(width, height)
        full = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(width, min(max(height, full + 140), 3000))
        browser.save_screenshot(str(SCREENSHOTS / f"{name}-{label}.png"))
    browser.set_window_size(*DESKTOP)


def click_and_wait(browser, css: str, timeout: float = 10) -> None:
    """Click what submits a form or follows a link, and wait until the next page has loaded."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    old = browser.find_element(By.CSS_SELECTOR, "html")
    browser.find_element(By.CSS_SELECTOR, css).click()
    WebDriverWait(browser, timeout).until(lambda _: _left_the_document(old))
    WebDriverWait(browser, timeout).until(lambda b: b.execute_script("return document.readyState") == "complete")


def _left_the_document(element) -> bool:
    """Whether the old page's element is gone. Chromium says so as a stale reference or, while
    the next page is loading, as "Node with given id does not belong to the document"."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException as exc:
        if "does not belong to the document" in str(exc):
            return True
        raise
