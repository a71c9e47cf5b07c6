"""Signing in and out, sessions, CSRF, throttling and the audit log, through the HTTP API and pages."""
from __future__ import annotations

import re


from daemon.web.auth import SESSION_COOKIE
from tests.web.company import PASSWORDS
from tests.web.conftest import api_sign_in, signed_in


def cookie(client, name=SESSION_COOKIE):
    return client.get_cookie(name)


def test_signing_in_by_login_gives_a_session_cookie_and_a_csrf_token(client):
    response = api_sign_in(client, "petr")
    assert response.status_code == 200
    assert len(response.get_json()["csrf_token"]) >= 32
    header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert "Secure" not in header                      # web.listen is loopback only
    me = client.get("/api/v1/me").get_json()
    assert (me["login"], me["name"], me["extension"], me["department"]) == ("petr", "Пётр Сидоров", "203", "Продажи")


def test_an_extension_signs_in_as_its_employee(client):
    assert api_sign_in(client, "203", PASSWORDS["petr"]).status_code == 200
    assert client.get("/api/v1/me").get_json()["login"] == "petr"


def test_cookies_are_secure_unless_the_listen_address_is_loopback(client, config):
    web = config.snapshot.file.web
    config.snapshot = config.snapshot.__class__.build(config.snapshot.file.model_copy(
        update={"web": web.model_copy(update={"listen": "0.0.0.0:8080"})}), config.snapshot.source)
    assert "Secure" in api_sign_in(client, "petr").headers["Set-Cookie"]


def test_a_wrong_password_or_unknown_login_is_401_and_says_nothing_more(client):
    wrong = api_sign_in(client, "petr", "not-his-password")
    unknown = api_sign_in(client, "nobody", "whatever-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()
    assert cookie(client) is None
    assert client.get("/api/v1/me").status_code == 401


def test_a_malformed_sign_in_is_400_in_json(client):
    response = client.post("/api/v1/session", data="login=petr", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"


def test_sign_out_ends_the_session_on_the_server(client, make_client):
    token = signed_in(client, "petr")
    stolen = cookie(client).value
    assert client.delete("/api/v1/session", headers={"X-CSRF-Token": token}).status_code == 200
    assert client.get("/api/v1/me").status_code == 401
    other = make_client()
    other.set_cookie(SESSION_COOKIE, stolen)
    assert other.get("/api/v1/me").status_code == 401        # the old cookie is worth nothing now


def test_writes_without_the_csrf_token_are_refused(client):
    token = signed_in(client, "petr")
    assert client.put("/api/v1/me/forward-to-mobile", json={"enabled": True}).status_code == 403
    assert client.put("/api/v1/me/forward-to-mobile", json={"enabled": True},
                      headers={"X-CSRF-Token": token[:-1] + "x"}).status_code == 403
    assert client.delete("/api/v1/session").status_code == 403
    assert client.get("/api/v1/me").get_json()["forward_to_mobile"] is False


def test_every_form_carries_the_csrf_token_and_a_post_without_it_is_refused(client):
    signed_in(client, "petr")
    page = client.get("/profile").get_data(as_text=True)
    forms = re.findall(r"<form method=\"post\".*?</form>", page, re.S)
    assert len(forms) >= 3 and all('name="csrf_token"' in f for f in forms)
    assert client.post("/profile/forward", data={"enabled": "1"}).status_code == 400
    assert client.post("/signout", data={}).status_code == 400
    assert client.get("/api/v1/me").status_code == 200


def test_the_sign_in_form_needs_its_own_token(client):
    page = client.get("/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    refused = client.post("/signin", data={"login": "petr", "password": PASSWORDS["petr"]})
    assert refused.status_code == 400
    ok = client.post("/signin", data={"login": "petr", "password": PASSWORDS["petr"], "csrf_token": token,
                                      "next": "/profile"})
    assert ok.status_code == 302 and ok.headers["Location"] == "/profile"


def test_after_sign_in_the_page_never_redirects_off_site(client):
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/signin").get_data(as_text=True)).group(1)
    ok = client.post("/signin", data={"login": "petr", "password": PASSWORDS["petr"], "csrf_token": token,
                                      "next": "//evil.example.com/x"})
    assert ok.headers["Location"] == "/"


def test_pages_send_an_anonymous_visitor_to_sign_in(client):
    response = client.get("/calls?period=today")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/signin?next=/calls")


def test_a_session_ends_after_the_idle_time_but_use_keeps_it_alive(client, clock):
    signed_in(client, "petr")
    for _ in range(10):                                   # 10 × 1 h of use: beyond 8 h in all
        clock.advance(3600)
        assert client.get("/api/v1/me").status_code == 200
    clock.advance(8 * 3600 + 1)
    assert client.get("/api/v1/me").status_code == 401


def test_a_removed_employee_cannot_sign_in_and_their_sessions_end(client, config, company_file, make_client):
    from config.loader import load
    signed_in(client, "olga")
    text = company_file.read_text(encoding="utf-8")
    text = text.replace("  - {name: Ольга Смирнова, login: olga, extension: 204, department: Поддержка, "
                        "can_download_history: false}\n", "").replace("members: [olga, maria]", "members: [maria]")
    company_file.write_text(text, encoding="utf-8")
    config.snapshot = load(str(company_file))            # what a reload does
    assert client.get("/api/v1/me").status_code == 401
    again = api_sign_in(make_client(), "olga")
    assert again.status_code == 403 and again.get_json()["error"] == "inactive"


def test_failures_past_the_free_ones_lock_the_login_and_the_lock_ends_by_itself(client, clock):
    for _ in range(3):                                    # login_free_failures: 3
        assert api_sign_in(client, "petr", "wrong-password").status_code == 401
    locked = api_sign_in(client, "petr")                  # even the right password waits
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == "30"
    assert "30" in locked.get_json()["message"]
    clock.advance(31)
    assert api_sign_in(client, "petr").status_code == 200


def test_delays_grow_with_every_further_failure_up_to_the_lockout(client, clock):
    waits = []
    for _ in range(8):
        response = api_sign_in(client, "petr", "wrong-password")
        if response.status_code == 429:
            waits.append(int(response.headers["Retry-After"]))
            clock.advance(waits[-1])
            response = api_sign_in(client, "petr", "wrong-password")
        assert response.status_code == 401
    assert waits == [30, 60, 120, 240, 480]
    assert int(api_sign_in(client, "petr").headers["Retry-After"]) == 600     # the lockout caps it


def test_switching_logins_does_not_escape_the_address_throttle(client):
    for login in ("petr", "olga", "ivan", "maria", "pc", "boss"):   # address_free_failures: 6
        assert api_sign_in(client, login, "wrong-password").status_code == 401
    assert api_sign_in(client, "ivan").status_code == 429
    assert api_sign_in(client, "ivan", address="10.0.0.2").status_code == 200   # another address is free


def test_switching_addresses_does_not_escape_the_login_throttle(client):
    for n in range(3):
        assert api_sign_in(client, "petr", "wrong-password", address=f"10.0.1.{n}").status_code == 401
    assert api_sign_in(client, "petr", address="10.0.2.1").status_code == 429


def test_a_good_sign_in_clears_the_logins_failures(client):
    for _ in range(2):
        api_sign_in(client, "petr", "wrong-password")
    assert api_sign_in(client, "petr").status_code == 200
    for _ in range(2):
        assert api_sign_in(client, "petr", "wrong-password").status_code == 401


def test_every_attempt_is_in_the_audit_log_which_only_admins_read(client, make_client):
    api_sign_in(client, "petr", "wrong-password")
    api_sign_in(client, "petr")
    api_sign_in(client, "nobody", "x-password")
    petr = client.get("/api/v1/signins")
    assert petr.status_code == 404
    assert client.get("/admin/signins").status_code == 404
    admin = make_client()
    signed_in(admin, "boss")
    rows = admin.get("/api/v1/signins").get_json()["signins"]
    assert [(r["login"], r["employee"], r["outcome"]) for r in rows] == [
        ("boss", "boss", "ok"), ("nobody", None, "wrong_password"), ("petr", "petr", "ok"),
        ("petr", "petr", "wrong_password")]
    page = admin.get("/admin/signins").get_data(as_text=True)
    assert "неверный пароль" in page and "10.0.0.1" in page


def test_passwords_never_reach_the_audit_log_or_the_logs(client, make_client, caplog, web_store):
    caplog.set_level("DEBUG")
    api_sign_in(client, "petr", "Secret-Typo-123")
    api_sign_in(client, "petr")
    assert "Secret-Typo-123" not in caplog.text and PASSWORDS["petr"] not in caplog.text
    from sqlalchemy import text
    with web_store.engine.connect() as conn:
        dump = " ".join(str(row) for t in ("signin_log", "web_sessions", "signin_throttle")
                        for row in conn.execute(text(f"SELECT * FROM {t}")))
    assert "Secret-Typo-123" not in dump and PASSWORDS["petr"] not in dump
    assert cookie(client).value not in dump                # only the token's hash is kept


def test_sign_ins_are_counted_by_outcome_and_requests_by_route(client, ctx):
    api_sign_in(client, "petr", "wrong-password")
    api_sign_in(client, "petr")
    client.get("/api/v1/me")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'callrouter_web_signins_total{outcome="wrong_password"} 1.0' in text
    assert 'callrouter_web_signins_total{outcome="ok"} 1.0' in text
    assert 'callrouter_web_requests_total{route="/api/v1/me",status="200"} 1.0' in text
    assert 'callrouter_web_request_seconds_bucket{le="0.1",route="/api/v1/session"}' in text
    assert client.get("/healthz").get_data(as_text=True) == "ok\n"


def test_unknown_api_paths_and_methods_answer_json(client):
    signed_in(client, "petr")
    missing = client.get("/api/v1/nothing")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    wrong = client.post("/api/v1/me", json={})
    assert wrong.status_code == 405 and wrong.get_json()["message"]
    assert "text/html" in client.get("/nothing").content_type


def test_signing_in_again_ends_the_previous_session(client, make_client):
    signed_in(client, "petr")
    first = cookie(client).value
    signed_in(client, "petr")
    other = make_client()
    other.set_cookie(SESSION_COOKIE, first)
    assert other.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me").status_code == 200


def test_a_bad_filter_on_a_page_says_why(client):
    signed_in(client, "petr")
    response = client.get("/stats?period=fortnight")
    assert response.status_code == 400
    assert "период — один из today" in response.get_data(as_text=True)
    api = client.get("/api/v1/calls?from=yesterday")
    assert api.status_code == 400 and "не дата" in api.get_json()["message"]


def test_the_login_and_the_extension_share_one_counter(client):
    for typed in ("petr", "203", "petr"):
        assert api_sign_in(client, typed, "wrong-password", address=f"10.0.3.{len(typed)}").status_code == 401
    assert api_sign_in(client, "203", PASSWORDS["petr"], address="10.0.4.1").status_code == 429
