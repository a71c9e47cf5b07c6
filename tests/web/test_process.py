"""The real `callrouter web` process: health, metrics, reload on SIGHUP, stop on SIGTERM."""
from __future__ import annotations

import http.cookiejar
import json
import signal
import time
import urllib.error
import urllib.request

import pytest

from tests.web.browser import WebProcess
from tests.web.company import PASSWORDS, company_on_disk


@pytest.fixture
def process(tmp_path):
    config, store = company_on_disk(tmp_path)
    store.close()
    web = WebProcess(config, tmp_path / "web.log")
    web.config = config
    try:
        web.wait_ready()
        yield web
    finally:
        if web.proc.poll() is None:
            web.stop()


def opener():
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def call(client, url, body=None, method=None):
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None,
                                     method=method, headers={"Content-Type": "application/json"})
    try:
        with client.open(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_health_metrics_and_a_sign_in(process):
    client = opener()
    assert call(client, process.url + "/healthz") == (200, b"ok\n")
    status, body = call(client, process.url + "/api/v1/session", {"login": "203", "password": PASSWORDS["petr"]})
    assert status == 200 and json.loads(body)["login"] == "petr"
    assert json.loads(call(client, process.url + "/api/v1/me")[1])["name"] == "Пётр Сидоров"
    metrics = call(client, process.url + "/metrics")[1].decode()
    assert 'callrouter_web_signins_total{outcome="ok"} 1.0' in metrics
    assert "callrouter_web_request_seconds_bucket" in metrics


def test_sighup_reloads_and_a_removed_employees_session_ends(process):
    client = opener()
    assert call(client, process.url + "/api/v1/session", {"login": "olga", "password": PASSWORDS["olga"]})[0] == 200
    text = process.config.read_text(encoding="utf-8")
    process.config.write_text(
        text.replace("  - {name: Ольга Смирнова, login: olga, extension: 204, department: Поддержка, "
                     "can_download_history: false}\n", "").replace("members: [olga, maria]", "members: [maria]"),
        encoding="utf-8")
    process.proc.send_signal(signal.SIGHUP)
    until(lambda: call(client, process.url + "/api/v1/me")[0] == 401)
    status, body = call(opener(), process.url + "/api/v1/session", {"login": "olga", "password": PASSWORDS["olga"]})
    assert status == 403 and json.loads(body)["error"] == "inactive"


def test_sigterm_stops_it_cleanly(process):
    process.proc.send_signal(signal.SIGTERM)
    assert process.proc.wait(15) == 0
    assert "callrouter web stopped" in process.log_path.read_text()


def test_a_bad_config_is_refused_at_start(tmp_path):
    import subprocess
    import sys
    bad = tmp_path / "bad.yaml"
    bad.write_text("company: {name: X}\nweb: {listen: nowhere}\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "daemon", "web", "-c", str(bad)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1
    assert "was not loaded" in result.stderr and "web.listen" in result.stderr


def test_the_config_file_may_come_from_callrouter_config(process, tmp_path):
    import os
    import subprocess
    import sys
    from tests.web.browser import served_port
    env = dict(os.environ, CALLROUTER_CONFIG=str(process.config), CALLROUTER_WEB_LISTEN="127.0.0.1:0")
    with open(tmp_path / "env.log", "wb") as log:
        child = subprocess.Popen([sys.executable, "-m", "daemon", "web"], env=env, stdout=log,
                                 stderr=subprocess.STDOUT, cwd=str(process.config.parent))
    try:
        until(lambda: served_port(tmp_path / "env.log") or child.poll() is not None, 30)
        assert child.poll() is None, (tmp_path / "env.log").read_text()
        port = served_port(tmp_path / "env.log")
        assert port != process.port
        until(lambda: _healthy(port) or child.poll() is not None, 30)
        assert child.poll() is None, (tmp_path / "env.log").read_text()
    finally:
        child.terminate()
        assert child.wait(15) == 0


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False
