"""«Личный кабинет» end to end: calls routed by the real daemon through the simulator show up
in the right people's history and statistics (and only there), and a forward to the mobile
switched on through the web API routes the next call to the mobile.

The web app runs in this process on the daemon's own SQLite store and config file, as
`callrouter web` would beside it.
"""
from __future__ import annotations

import pytest

from config.loader import load
from daemon.web.app import WebContext, create_app
from store.database import Store
from tests.e2e.conftest import COMPANY
from tests.e2e.harness import WAIT, rung, wait_until
from tests.store.conftest import FAST_HASHER

PASSWORD = "E2e-Password-2026"
# Roles on top of the test company: an admin, a restricted user, and a user of Продажи.
ROLES = (COMPANY
         .replace("    login: s.kuznetsov\n    extension: 203\n",
                  "    login: s.kuznetsov\n    extension: 203\n    role: admin\n")
         .replace("  - name: Анна Смирнова\n    extension: 202\n",
                  "  - name: Анна Смирнова\n    extension: 202\n    role: restricted_user\n")
         .replace("    login: a.volkov\n    extension: 211\n",
                  "    login: a.volkov\n    extension: 211\n    department: Продажи\n"))


@pytest.fixture
def web(make_harness):
    h = make_harness(ROLES)
    snapshot = load(str(h.config_path))
    store = Store.for_snapshot(snapshot, hasher=FAST_HASHER)
    for login in snapshot.by_login:
        store.set_password(login, PASSWORD, snapshot.company.domain)
    app = create_app(WebContext(config=lambda: snapshot, store=store, clock=h.clock, run_cpu=lambda f, *a: f(*a)))
    yield h, app
    store.close()


def client_of(app, login):
    client = app.test_client()
    response = client.post("/api/v1/session", json={"login": login, "password": PASSWORD})
    assert response.status_code == 200
    client.csrf = response.get_json()["csrf_token"]
    return client


def listed(client) -> set[str]:
    return {c["uuid"] for c in client.get("/api/v1/calls?limit=500").get_json()["calls"]}


def test_routed_calls_appear_in_exactly_the_right_peoples_history(web):
    h, app = web
    h.employee("anna.smirnova", answer_after=1)
    h.employee("a.volkov", answer_after=1)
    h.employee("s.kuznetsov", answer_after=1)
    to_anna = h.call("202", caller="+79031112233")                 # external, answered by Анна
    to_sales = h.call("300", caller="+79035554433")                # external, the department, a.volkov takes it
    internal = h.call("203", caller="boris.ivanov")                # internal, to the admin
    h.history()                                                    # every record written
    assert (to_anna.answered_by, to_sales.answered_by, internal.answered_by) == (
        "anna.smirnova", "a.volkov", "s.kuznetsov")

    admin, anna, volkov = client_of(app, "s.kuznetsov"), client_of(app, "anna.smirnova"), client_of(app, "a.volkov")
    assert listed(admin) == {to_anna.uuid, to_sales.uuid, internal.uuid}
    assert listed(anna) == {to_anna.uuid}                          # «Мои звонки»: own external calls
    assert listed(volkov) == {to_sales.uuid}                       # Продажи's external calls
    assert anna.get(f"/api/v1/calls/{to_sales.uuid}").status_code == 404
    path = volkov.get(f"/api/v1/calls/{to_sales.uuid}").get_json()["path"]
    assert path[0]["target"] == "department:Продажи" and path[0]["answered_by"] == "a.volkov"
    assert {leg["login"] for leg in path[0]["legs"]} == {"a.volkov", "b.zaitsev"}

    day = {"from": "2026-11-23", "to": "2026-11-23"}
    by_hour = lambda c: sum(x["answered"] for x in c.get("/api/v1/stats", query_string=day).get_json()["by_hour"])  # noqa: E731
    assert (by_hour(admin), by_hour(anna), by_hour(volkov)) == (3, 1, 1)


def test_forward_to_mobile_switched_on_in_the_web_routes_the_next_call_to_the_mobile(web):
    h, app = web
    h.employee("ivan.petrov", answer_after=None)
    h.sim.mobile("+79161234567", answer_after=1)
    ivan = client_of(app, "ivan.petrov")
    response = ivan.put("/api/v1/me/forward-to-mobile", json={"enabled": True}, headers={"X-CSRF-Token": ivan.csrf})
    assert response.status_code == 200
    wait_until(lambda: h.app.store.state.override("ivan.petrov").forward_to_mobile, WAIT,
               "the daemon to see the override")
    call = h.call("201")
    assert rung(call) == [["+79161234567"]]                        # the mobile only, not the desk phone
    assert call.answered_by == "+79161234567"
