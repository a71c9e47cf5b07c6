"""«Забыли пароль?» end to end through the pages and the API, on SQLite and PostgreSQL.

The app runs in this process (Flask's test client) with the real store, an injected
clock and the real recovery call: its own inbound ESL connection to the FreeSWITCH
simulator, which originates the call through the gateway and plays the part of the
mobile that keys digits. The SMS channel goes to an HTTP server started here, the
notice e-mail to an SMTP server started here.
"""
from __future__ import annotations

import http.server
import json
import re
import threading

import gevent
import pytest

from config.loader import load
from config.models import Smtp
from daemon.web.app import WebContext, create_app
from daemon.web.recovery import Recovery, code_matches, derive_code, hash_code
from store import credentials as creds
from tests.fakeswitch import FakeSwitch
from tests.store.conftest import smtp_server  # noqa: F401
from tests.web.company import COMPANY_YAML, PASSWORDS
from tests.web.conftest import Clock, Config, api_sign_in

MOBILE = "+79161234567"              # petr's
NEW = "Novyj-parol-2025"


@pytest.fixture
def sim():
    switch = FakeSwitch(scale=0.01, password="ClueCon").start()
    yield switch
    switch.stop()


class SmsGateway(http.server.BaseHTTPRequestHandler):
    """An HTTP server standing in for an SMS provider (in a thread of its own: the app's
    request to it blocks this test's thread); keeps every request."""

    requests: list[dict] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
        self.requests.append({"method": self.command, "path": self.path, "auth": self.headers.get("X-Api-Key", ""),
                              "type": self.headers.get("Content-Type", ""), "body": body})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "12")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args):
        pass


@pytest.fixture
def sms_gateway():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (SmsGateway,), {"requests": []}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.requests = server.RequestHandlerClass.requests
    yield server
    server.shutdown()
    server.server_close()


def company_yaml(sim, sms_gateway=None, smtp_port=None, **recovery) -> str:
    host, port = sim.inbound_address
    text = COMPANY_YAML.replace("  timezone: Europe/Moscow\n",
                                "  timezone: Europe/Moscow\n  gateway: trunk\n  caller_id: \"+74951234567\"\n")
    text = text.replace('    mobile: "+7 916 123-45-67"\n', '    mobile: "+7 916 123-45-67"\n    email: petr@example.com\n')
    if smtp_port:
        relay = ", local_relay: true" if "local_relay" in Smtp.model_fields else ""     # plain SMTP on loopback
        text = text.replace("  gateway: trunk\n", f"  gateway: trunk\n  smtp: {{host: 127.0.0.1, port: {smtp_port}, "
                                                  f"from: pbx@example.com{relay}}}\n")
    text += f"freeswitch: {{host: {host}, port: {port}, password: ClueCon}}\n"
    settings = dict(recovery)
    if sms_gateway is not None:
        settings["sms"] = {"url": f"http://127.0.0.1:{sms_gateway.server_port}/send", "method": "POST",
                           "headers": {"X-Api-Key": "sms-secret"},
                           "body": '{"to": "{phone}", "message": "{text}"}'}
    if settings:
        text += "recovery: " + json.dumps(settings) + "\n"
    return text


class CpuCalls:
    """run_cpu that runs in place and notes what it ran (the same work for every login)."""

    def __init__(self):
        self.calls: list[str] = []

    def __call__(self, fn, *args):
        self.calls.append(fn.__name__)
        return fn(*args)


@pytest.fixture
def make_site(store, tmp_path, sim):              # noqa: F811
    def make(sms_gateway=None, smtp_port=None, **recovery):
        path = tmp_path / "company.yaml"
        path.write_text(company_yaml(sim, sms_gateway, smtp_port, **recovery), encoding="utf-8")
        config = Config(load(str(path)))
        for login, password in PASSWORDS.items():
            store.set_password(login, password, config.snapshot.company.domain)
        clock = Clock()
        ctx = WebContext(config=config, store=store, clock=clock, run_cpu=CpuCalls())
        app = create_app(ctx)
        app.testing = True
        return Site(app, ctx, clock, store, sim)
    return make


class Site:
    def __init__(self, app, ctx, clock, store, sim):
        self.app, self.ctx, self.clock, self.store, self.sim = app, ctx, clock, store, sim

    def client(self):
        return self.app.test_client()

    def ask(self, client, login: str, address: str = "10.0.0.7"):
        form = client.get("/recover", environ_base={"REMOTE_ADDR": address})
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.get_data(as_text=True)).group(1)
        return client.post("/recover", data={"login": login, "csrf_token": token},
                           environ_base={"REMOTE_ADDR": address})

    def page(self, client, address: str = "10.0.0.7") -> str:
        return client.get("/recover/code", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)

    def post(self, client, path: str, address: str = "10.0.0.7", **data):
        page = client.get("/recover", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
        data["csrf_token"] = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return client.post(path, data=data, environ_base={"REMOTE_ADDR": address})

    def state(self, client) -> str:
        return re.search(r'data-state="([a-z_]+)"', self.page(client)).group(1)

    def wait_state(self, client, *states: str, timeout: float = 5.0) -> str:
        with gevent.Timeout(timeout, AssertionError(f"never reached {states}; now {self.state(client)}")):
            while self.state(client) not in states:
                gevent.sleep(0.01)
        return self.state(client)

    def audit(self) -> list[tuple[str, str, str]]:
        return [(row.login, row.employee, row.outcome) for row in reversed(self.ctx.web.signins(200))]


def shown_code(page: str) -> str:
    match = re.search(r'id="code"[^>]*><span>(\d{3})</span><span class="half">(\d{3})</span>', page)
    return match.group(1) + match.group(2) if match else ""


# --------------------------------------------------------------------------- the flow

def test_the_whole_flow_keys_the_code_resets_both_hashes_and_ends_sessions(make_site, smtp_server):
    site = make_site(smtp_port=smtp_server.port)
    site.sim.mobile(MOBILE, answer_after=3)
    other = site.client()
    assert api_sign_in(other, "petr").status_code == 200            # a session the reset must end
    assert "Забыли пароль?" in site.client().get("/signin").get_data(as_text=True)

    browser = site.client()
    answer = site.ask(browser, "203")                                # the extension works as well as the login
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/recover/code")
    page = site.page(browser)
    code = shown_code(page)
    assert len(code) == 6 and "мы звоним на него" in page and 'http-equiv="refresh"' in page

    call = site.sim.wait_originated()
    assert (call.number, call.gateway, call.caller_id) == (MOBILE, "trunk", "+74951234567")
    call.press(code)
    assert call.wait(5) and call.collected == code
    assert site.wait_state(browser, "verified") == "verified"

    done = site.post(browser, "/recover/password", new=NEW, again=NEW)
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and "Пароль изменён" in text and "телефоне и софтфонах" in text

    stored = site.store.credentials_for("petr")
    assert creds.verify_http(stored.password_hash, NEW, site.store.hasher)
    assert stored.sip_a1 == creds.sip_a1("petr", "pbx.example.com", NEW)
    assert other.get("/api/v1/me").status_code == 401           # every session of petr ended
    assert api_sign_in(site.client(), "petr", NEW).status_code == 200
    assert browser.get("/recover/code").status_code == 302           # the request is gone from the browser

    assert [a for a in site.audit() if a[2].startswith("recovery")] == [
        ("203", "petr", "recovery_request"), ("203", "petr", "recovery_call"),
        ("203", "petr", "recovery_verified"), ("203", "petr", "recovery_reset")]
    admin = site.client()
    api_sign_in(admin, "boss")
    signins = admin.get("/admin/signins").get_data(as_text=True)
    assert "восстановление: код подтверждён" in signins and "восстановление: пароль изменён" in signins
    metrics = site.ctx.metrics.registry
    assert metrics.get_sample_value("callrouter_web_recoveries_total", {"outcome": "recovery_reset"}) == 1
    with gevent.Timeout(5):
        while not smtp_server.inbox.received:
            gevent.sleep(0.02)
    (to, letter), = smtp_server.inbox.received
    assert to == ["petr@example.com"] and "изменён" in letter["Subject"]
    assert "телефоне и софтфонах" in letter.get_content() and NEW not in letter.get_content()


def test_wrong_digits_use_up_the_three_tries(make_site):
    site = make_site()
    site.sim.mobile(MOBILE, answer_after=1)
    browser = site.client()
    site.ask(browser, "petr")
    code = shown_code(site.page(browser))
    for attempt in (1, 2, 3):
        call = site.sim.wait_originated(attempt)
        call.press("000000" if code != "000000" else "111111")
        assert call.wait(5)
        state = site.wait_state(browser, "wrong", "exhausted")
        if attempt < 3:
            assert state == "wrong" and f"Осталось попыток: {3 - attempt}" in site.page(browser)
            assert site.post(browser, "/recover/call").status_code == 302
    assert state == "exhausted" and "Попытки ввести код закончились" in site.page(browser)
    assert site.post(browser, "/recover/password", new=NEW, again=NEW).status_code == 409
    assert [a[2] for a in site.audit()].count("recovery_wrong_code") == 3


def test_an_unanswered_or_hung_up_call_can_be_repeated(make_site):
    site = make_site(ring_timeout=10)
    site.sim.mobile(MOBILE, answer_after=None)
    browser = site.client()
    site.ask(browser, "petr")
    assert site.wait_state(browser, "ended") == "ended"
    assert "Звонок завершён, код не набран" in site.page(browser)
    site.sim.mobile(MOBILE, answer_after=1)
    site.post(browser, "/recover/call")
    call = site.sim.wait_originated(2)
    call.answered.wait(5)
    call.hang_up()
    assert site.wait_state(browser, "ended") == "ended"
    outcomes = [a[2] for a in site.audit()]
    assert outcomes.count("recovery_call") == 2 and "recovery_no_answer" in outcomes and "recovery_failed" in outcomes


def test_the_code_expires_after_five_minutes(make_site):
    site = make_site()
    site.sim.mobile(MOBILE, answer_after=1)
    browser = site.client()
    site.ask(browser, "petr")
    code = shown_code(site.page(browser))
    site.clock.advance(301)
    call = site.sim.wait_originated()
    call.press(code)                                   # the right code, too late
    assert call.wait(5)
    gevent.sleep(0.05)
    assert site.state(browser) == "expired" and "истекло" in site.page(browser)
    assert "recovery_expired" in [a[2] for a in site.audit()]
    assert site.post(browser, "/recover/password", new=NEW, again=NEW).status_code == 409


def test_at_most_three_calls_an_hour_per_employee_and_the_page_does_not_tell(make_site):
    site = make_site(ring_timeout=10)
    site.sim.mobile(MOBILE, answer_after=None)
    pages = []
    for n in range(4):
        browser = site.client()
        assert site.ask(browser, "petr", address=f"10.0.1.{n}").status_code == 302
        pages.append(site.page(browser))
        if n < 3:
            site.sim.wait_originated(n + 1).wait(5)
    gevent.sleep(0.1)
    assert len(site.sim.originated) == 3
    assert all("мы звоним на него" in page for page in pages)
    assert [a[2] for a in site.audit()].count("recovery_limited") == 1
    site.clock.advance(3601)
    site.ask(site.client(), "petr")
    site.sim.wait_originated(4)


def test_too_many_requests_from_one_address(make_site):
    site = make_site(address_per_hour=2)
    site.sim.mobile(MOBILE, answer_after=None)
    for _ in range(2):
        assert site.ask(site.client(), "nobody").status_code == 302
    refused = site.ask(site.client(), "nobody")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "3600"
    assert "Слишком много запросов" in refused.get_data(as_text=True)
    assert site.ask(site.client(), "nobody", address="10.9.9.9").status_code == 302


@pytest.mark.parametrize("login", ["nobody", "ivan", "boss"])       # unknown; no mobile; no mobile (admin)
def test_a_login_that_cannot_be_called_looks_the_same_from_outside(make_site, login):
    site = make_site(ring_timeout=10)
    site.sim.mobile(MOBILE, answer_after=None)

    def look(typed):
        client = site.client()
        site.ctx.run_cpu.calls.clear()
        answer = site.ask(client, typed)
        work = list(site.ctx.run_cpu.calls)
        page = site.page(client)
        return (answer.status_code, answer.headers["Location"], sorted(answer.headers.keys()), work,
                re.sub(r'id="code".*?</p>', "", re.sub(r'value="[^"]*"', "", page))), client

    real, real_client = look("petr")
    fake, fake_client = look(login)
    assert fake == real                      # status, redirect, headers, the work done, the page but the code
    site.sim.wait_originated(1).wait(5)
    assert len(site.sim.originated) == 1     # only petr's mobile was called
    site.clock.advance(11)                   # after the ring timeout both calls "ended"
    assert site.wait_state(real_client, "ended") == site.state(fake_client) == "ended"
    site.post(fake_client, "/recover/call")
    assert len(site.sim.originated) == 1


def test_the_sms_channel(make_site, sms_gateway):
    site = make_site(sms_gateway=sms_gateway, ring_timeout=10)
    site.sim.mobile(MOBILE, answer_after=None)
    browser = site.client()
    site.ask(browser, "petr")
    page = site.page(browser)
    assert 'id="sms"' not in page                               # while the call rings, no SMS
    site.wait_state(browser, "ended")
    assert site.post(browser, "/recover/sms").status_code == 302
    with gevent.Timeout(5):
        while not sms_gateway.requests:
            gevent.sleep(0.01)
    (sent,) = sms_gateway.requests
    assert sent["method"] == "POST" and sent["path"] == "/send" and sent["auth"] == "sms-secret"
    assert sent["type"] == "application/json"
    body = json.loads(sent["body"])
    assert body["to"] == MOBILE
    sms_code = re.search(r"\b(\d{6})\b", body["message"]).group(1)
    assert site.state(browser) == "sms_sent"

    wrong = site.post(browser, "/recover/sms-code", code="999999" if sms_code != "999999" else "888888")
    assert wrong.status_code == 403 and "Осталось попыток: 2" in wrong.get_data(as_text=True)
    assert site.post(browser, "/recover/sms-code", code=sms_code).status_code == 302
    assert site.state(browser) == "verified"
    assert site.post(browser, "/recover/password", new=NEW, again=NEW).status_code == 200
    outcomes = [a[2] for a in site.audit()]
    assert "recovery_sms" in outcomes and "recovery_wrong_code" in outcomes and "recovery_reset" in outcomes


def test_the_api(make_site):
    site = make_site()
    site.sim.mobile(MOBILE, answer_after=1)
    client = site.client()
    assert client.post("/api/v1/password-recovery", data="login=petr").status_code == 400
    started = client.post("/api/v1/password-recovery", json={"login": "petr"})
    assert started.status_code == 202
    body = started.get_json()
    assert body["state"] == "calling" and body["attempts_left"] == 3 and len(body["code"]) == 6
    headers = {"X-Recovery-Token": body["token"]}
    site.sim.wait_originated().press(body["code"])
    with gevent.Timeout(5):
        while client.get("/api/v1/password-recovery", headers=headers).get_json()["state"] != "verified":
            gevent.sleep(0.01)
    weak = client.post("/api/v1/password-recovery/password", json={"password": "short"}, headers=headers)
    assert weak.status_code == 422 and weak.get_json()["error"] == "weak_password"
    done = client.post("/api/v1/password-recovery/password", json={"password": NEW}, headers=headers)
    assert done.status_code == 200 and done.get_json()["login"] == "petr"
    assert client.get("/api/v1/password-recovery", headers={"X-Recovery-Token": "nope"}).status_code == 404


def test_the_store_holds_neither_the_token_nor_the_code(make_site):
    site = make_site()
    site.sim.mobile(MOBILE, answer_after=None)
    token = site.client().post("/api/v1/password-recovery", json={"login": "petr"}).get_json()["token"]
    code = derive_code(token)
    from sqlalchemy import select
    from store.tables import recovery_requests
    with site.store._read() as conn:
        row = conn.execute(select(recovery_requests)).mappings().one()
    assert token not in str(dict(row)) and code not in row["code_hash"]
    assert code_matches(row["code_hash"], code) and not code_matches(row["code_hash"], "12345")
    assert not code_matches("garbage", code) and code_matches(hash_code("000001"), "000001")


def test_callrouter_employee_passwd_ends_web_sessions(make_site, capsys, tmp_path):
    from tests.store.cli import callrouter
    site = make_site()
    client = site.client()
    assert api_sign_in(client, "petr").status_code == 200
    assert client.get("/api/v1/me").status_code == 200
    path = tmp_path / "company.yaml"
    url = site.store.engine.url.render_as_string(hide_password=False)
    path.write_text(path.read_text(encoding="utf-8") + f"store: {{url: '{url}'}}\n", encoding="utf-8")
    code, out, _ = callrouter(capsys, "employee", "passwd", "petr", "-c", str(path))
    assert code == 0
    assert client.get("/api/v1/me").status_code == 401


def test_freeswitch_unreachable_ends_the_call_and_is_logged(make_site):
    site = make_site()
    site.sim.set_inbound_available(False)
    browser = site.client()
    site.ask(browser, "petr")
    assert site.wait_state(browser, "ended") == "ended"
    assert ("petr", "petr", "recovery_failed") in site.audit()


def test_recovery_is_usable_without_a_running_call_process(make_site):
    """A request whose call never reported (the web process restarted) ends like an unanswered one."""
    site = make_site()
    site.ctx.recovery = Recovery(site.ctx, spawn=lambda *a: None)
    browser = site.client()
    site.ask(browser, "petr")
    assert site.state(browser) == "calling"
    site.clock.advance(241)
    assert site.state(browser) == "ended"


def test_forms_without_their_csrf_token_are_refused(make_site):
    site = make_site()
    client = site.client()
    assert client.post("/recover", data={"login": "petr"}).status_code == 400
    assert site.sim.originated == [] and not any(a[2] == "recovery_request" for a in site.audit())


def test_a_verified_code_leaves_ten_minutes_to_set_the_password(make_site):
    site = make_site()
    site.sim.mobile(MOBILE, answer_after=1)
    browser = site.client()
    site.ask(browser, "petr")
    site.sim.wait_originated().press(shown_code(site.page(browser)))
    site.wait_state(browser, "verified")
    site.clock.advance(601)
    assert site.state(browser) == "expired"
    assert site.post(browser, "/recover/password", new=NEW, again=NEW).status_code == 409
    assert creds.verify_http(site.store.credentials_for("petr").password_hash, PASSWORDS["petr"], site.store.hasher)
