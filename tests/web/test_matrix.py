"""Role × scope × endpoint: every page and API endpoint shows each viewer exactly the calls the
issue's table gives them (tests/history_company.py, worked out by hand), on SQLite and PostgreSQL.

Outside the scope is 404 (never 403: a call's existence is not confirmed); export is
403 only for the download right; admin pages are 404 for everyone else.
"""
from __future__ import annotations

import csv
import io
import re

import pytest

from config.access import scope_for
from daemon.web.app import WebContext, create_app
from store.history_facts import NOT_ANSWERED, result_of
from tests.history_company import CALLS, SEES, company
from tests.web.conftest import Clock, run_here

VIEWERS = sorted(SEES)
PASSWORD = "Matrix-Pass-2024"
ADMIN_ONLY = ("/api/v1/signins", "/api/v1/plan?to=202", "/admin/signins", "/admin/directory", "/admin/plan?to=202")


@pytest.fixture
def snapshot():
    return company()


@pytest.fixture
def history_app(store, snapshot):
    store.sync_directory(snapshot)
    store.write_records(CALLS)
    for login in SEES:
        store.set_password(login, PASSWORD, snapshot.company.domain)
    app = create_app(WebContext(config=lambda: snapshot, store=store, clock=Clock(), run_cpu=run_here))
    app.testing = True
    return app


@pytest.fixture(params=VIEWERS)
def viewer(request, history_app):
    client = history_app.test_client()
    response = client.post("/api/v1/session", json={"login": request.param, "password": PASSWORD})
    assert response.status_code == 200
    return request.param, client


def api_list(client, **params) -> list[dict]:
    seen, cursor = [], None
    while True:
        query = dict(params, limit=2, **({"cursor": cursor} if cursor else {}))
        body = client.get("/api/v1/calls", query_string=query).get_json()
        seen += body["calls"]
        cursor = body["next"]
        if cursor is None:
            return seen


def page_list(client, path="/calls") -> set[str]:
    uuids = set()
    while path:
        page = client.get(path).get_data(as_text=True)
        uuids |= set(re.findall(r'<tr data-uuid="([^"]+)"', page))
        more = re.search(r'<a href="([^"]+)" id="next-page"', page)
        path = more.group(1).replace("&amp;", "&") if more else None
    return uuids


def test_the_api_list_and_its_pages(viewer):
    login, client = viewer
    calls = api_list(client)
    assert {c["uuid"] for c in calls} == SEES[login]
    assert all(c["started_at"].endswith("+03:00") for c in calls)        # the viewer's zone (Moscow)
    assert not calls or set(calls[0]) >= {"uuid", "started_at", "direction", "caller", "called", "target", "answered_by",
                             "outcome", "wait_seconds", "talk_seconds"}


def test_the_history_page_and_its_pages(viewer):
    login, client = viewer
    import daemon.web.pages as pages
    old, pages.PAGE = pages.PAGE, 3
    try:
        assert page_list(client) == SEES[login]
    finally:
        pages.PAGE = old


def test_a_calls_detail_api_and_page_exist_only_inside_the_scope(viewer):
    login, client = viewer
    for call in (c.uuid for c in CALLS):
        api, page = client.get(f"/api/v1/calls/{call}"), client.get(f"/calls/{call}")
        if call in SEES[login]:
            assert api.status_code == page.status_code == 200, call
            assert api.get_json()["uuid"] == call and isinstance(api.get_json()["path"], list)
        else:
            assert api.status_code == page.status_code == 404, call
            assert api.get_json()["error"] == "not_found"


def test_an_unknown_call_is_the_same_404(viewer):
    _, client = viewer
    assert client.get("/api/v1/calls/no-such-call").status_code == 404


def test_csv_export_follows_the_download_right(viewer, snapshot):
    login, client = viewer
    can = scope_for(login, snapshot).can_export
    api = client.get("/api/v1/calls", headers={"Accept": "text/csv"})
    page = client.get("/calls/export.csv")
    listing = client.get("/calls").get_data(as_text=True)
    assert ('id="export-csv"' in listing) is can
    if not can:
        assert api.status_code == page.status_code == 403
        assert api.get_json()["error"] == "no_export_right"
        return
    assert api.status_code == page.status_code == 200
    for response in (api, page):
        text = response.get_data(as_text=True)
        assert text.startswith("\ufeff") and response.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
        assert {r[0] for r in rows[1:]} == SEES[login]


def test_statistics_count_only_the_viewers_calls(viewer):
    login, client = viewer
    stats = client.get("/api/v1/stats", query_string={"from": "2024-03-04", "to": "2024-03-04"}).get_json()
    counted = sum(h["answered"] + h["missed"] for h in stats["by_hour"])
    expected = [c for c in CALLS if c.uuid in SEES[login] and c.direction != "outbound"
                and result_of(c) in ("answered",) + NOT_ANSWERED]              # calls received
    assert counted == len(expected)
    page = client.get("/stats", query_string={"from": "2024-03-04", "to": "2024-03-04"})
    assert page.status_code == 200 and 'id="hour-chart"' in page.get_data(as_text=True)


def test_filters_outside_the_scope_are_refused(viewer, snapshot):
    login, client = viewer
    scope = scope_for(login, snapshot)
    for name, value, allowed in (("employee", "boss", scope.allows_employee("boss")),
                                 ("department", "Продажи", scope.allows_department("Продажи"))):
        response = client.get("/api/v1/calls", query_string={name: value})
        assert (response.status_code == 200) is allowed, (name, response.get_json())
        if not allowed:
            assert response.status_code == 400


@pytest.mark.parametrize("path", ADMIN_ONLY)
def test_admin_pages_are_404_for_everyone_but_the_admin(viewer, path):
    login, client = viewer
    response = client.get(path)
    assert response.status_code == (200 if login == "boss" else 404)


def test_no_endpoint_answers_without_a_session(history_app):
    client = history_app.test_client()
    for path in ("/api/v1/me", "/api/v1/calls", "/api/v1/calls/ext-sales", "/api/v1/stats") + ADMIN_ONLY[:2]:
        assert client.get(path).status_code == 401, path
    for path in ("/calls", "/calls/ext-sales", "/stats", "/profile", "/calls/export.csv") + ADMIN_ONLY[2:]:
        assert client.get(path).status_code == 302, path
