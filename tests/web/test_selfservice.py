"""«Профиль»: state now, reception settings, the forward-to-mobile switch, password change."""
from __future__ import annotations


from store import credentials as creds
from tests.web.company import PASSWORDS
from tests.web.conftest import api_sign_in, signed_in


def test_me_says_who_i_am_what_i_may_do_and_my_state_now(client, clock):
    signed_in(client, "petr")                           # Monday 12:30 Moscow, schedule 09:00-18:00
    me = client.get("/api/v1/me").get_json()
    assert {k: me[k] for k in ("role", "scope", "can_download_history", "can_listen_recordings",
                               "forward_to_mobile")} == {
        "role": "user", "scope": "department", "can_download_history": True, "can_listen_recordings": True,
        "forward_to_mobile": False}
    assert me["state"] == {"kind": "working", "until": None, "reason": None}
    clock.advance(7 * 3600)                             # 19:30 Moscow
    assert client.get("/api/v1/me").get_json()["state"]["kind"] == "off_hours"


def test_an_absence_shows_until_when(client):
    signed_in(client, "maria")
    assert client.get("/api/v1/me").get_json()["state"] == {"kind": "absent", "until": "2024-03-10",
                                                            "reason": "vacation"}
    page = client.get("/profile").get_data(as_text=True)
    assert "отсутствую (отпуск) до 10.03.2024 включительно" in page


def test_the_profile_shows_reception_settings_read_only(client):
    signed_in(client, "petr")
    page = client.get("/profile").get_data(as_text=True)
    for text in ("рабочий телефон, софтфон и мобильный", "5 с", "через 120 с — сигнал «занято»",
                 "Пн–Пт: 09:00–18:00", "Сб, Вс: выходной", "работаю"):
        assert text in page


def test_the_forward_switch_writes_the_override_the_feature_code_writes(client, web_store):
    token = signed_in(client, "petr")
    response = client.put("/api/v1/me/forward-to-mobile", json={"enabled": True}, headers={"X-CSRF-Token": token})
    assert response.status_code == 200
    assert web_store.overrides()["petr"].forward_to_mobile is True
    assert client.get("/api/v1/me").get_json()["forward_to_mobile"] is True
    client.put("/api/v1/me/forward-to-mobile", json={"enabled": False}, headers={"X-CSRF-Token": token})
    assert "petr" not in web_store.overrides()


def test_the_forward_switch_on_the_page(client, web_store):
    token = signed_in(client, "petr")
    page = client.get("/profile").get_data(as_text=True)
    assert 'id="forward-toggle"' in page and "выключена" in page
    response = client.post("/profile/forward", data={"csrf_token": token, "enabled": "1"})
    assert response.status_code == 302
    assert web_store.overrides()["petr"].forward_to_mobile is True
    assert "включена" in client.get("/profile").get_data(as_text=True)


def test_without_a_mobile_there_is_no_switch(client, web_store):
    token = signed_in(client, "olga")
    assert 'id="forward-toggle"' not in client.get("/profile").get_data(as_text=True)
    response = client.put("/api/v1/me/forward-to-mobile", json={"enabled": True}, headers={"X-CSRF-Token": token})
    assert response.status_code == 409
    assert web_store.overrides() == {}


def test_a_bad_body_is_400(client):
    token = signed_in(client, "petr")
    assert client.put("/api/v1/me/forward-to-mobile", json={"enabled": "yes"},
                      headers={"X-CSRF-Token": token}).status_code == 400


def test_changing_the_password_updates_both_hashes_and_ends_other_sessions(client, make_client, web_store):
    other = make_client()
    signed_in(other, "petr")
    token = signed_in(client, "petr")
    response = client.put("/api/v1/me/password", json={"current": PASSWORDS["petr"], "new": "Nov1y-Parol-77"},
                          headers={"X-CSRF-Token": token})
    assert response.status_code == 200
    assert "Зарегистрируйте телефоны заново" in response.get_json()["message"]
    found = web_store.credentials_for("petr")
    assert found.sip_a1 == creds.sip_a1("petr", "pbx.example.com", "Nov1y-Parol-77")
    assert web_store.verify_password("petr", "Nov1y-Parol-77")
    assert client.get("/api/v1/me").status_code == 200         # this session goes on
    assert other.get("/api/v1/me").status_code == 401          # the others end
    assert api_sign_in(make_client(), "petr", "Nov1y-Parol-77").status_code == 200


def test_a_wrong_current_password_or_a_weak_new_one_is_refused(client, web_store):
    token = signed_in(client, "petr")
    put = lambda body: client.put("/api/v1/me/password", json=body, headers={"X-CSRF-Token": token})  # noqa: E731
    assert put({"current": "wrong-one-123", "new": "Nov1y-Parol-77"}).status_code == 403
    for weak in ("short1", "onlyletterslong", "1234567890123", "petr-secret-99", "aaaaaaaa1111"):
        response = put({"current": PASSWORDS["petr"], "new": weak})
        assert response.status_code == 422, weak
        assert response.get_json()["message"]
    assert web_store.verify_password("petr", PASSWORDS["petr"])


def test_guessing_the_current_password_is_throttled(client):
    token = signed_in(client, "petr")
    for _ in range(3):
        client.put("/api/v1/me/password", json={"current": "guess-guess-1", "new": "Nov1y-Parol-77"},
                   headers={"X-CSRF-Token": token})
    response = client.put("/api/v1/me/password", json={"current": PASSWORDS["petr"], "new": "Nov1y-Parol-77"},
                          headers={"X-CSRF-Token": token})
    assert response.status_code == 429 and response.headers["Retry-After"]


def test_changing_the_password_on_the_page_says_to_re_register_phones(client, web_store):
    token = signed_in(client, "petr")
    mismatch = client.post("/profile/password", data={"csrf_token": token, "current": PASSWORDS["petr"],
                                                      "new": "Nov1y-Parol-77", "again": "Nov1y-Parol-78"})
    assert mismatch.status_code == 422 and "не совпадают" in mismatch.get_data(as_text=True)
    ok = client.post("/profile/password", data={"csrf_token": token, "current": PASSWORDS["petr"],
                                                "new": "Nov1y-Parol-77", "again": "Nov1y-Parol-77"})
    assert ok.status_code == 200
    assert "зарегистрировать заново" in ok.get_data(as_text=True)
    assert web_store.verify_password("petr", "Nov1y-Parol-77")
