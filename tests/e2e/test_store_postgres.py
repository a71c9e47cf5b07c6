"""The daemon on PostgreSQL: an outage mid-traffic, and two daemons sharing one database.

Each test gets a schema of its own on the PostgreSQL at 127.0.0.1:5432 (migrated first:
the daemon only checks a PostgreSQL schema, `callrouter db upgrade` makes it).  Without a
reachable server these tests skip; with CALLROUTER_REQUIRE_POSTGRES=1 (CI) they fail.
"""
from __future__ import annotations

import uuid
from collections import Counter

import psycopg
import pytest
from sqlalchemy.engine import URL

from store.database import Store
from tests.e2e.harness import rung, wait_until
from tests.store.conftest import require_postgres
from tests.store.outage import FlakyPostgres

RECEPTION = "Ресепшн"           # round_robin over a.volkov, b.zaitsev, c.morozov (company.yaml)
MEMBERS = ("a.volkov", "b.zaitsev", "c.morozov")


def _libpq(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def postgres_url():
    """A freshly migrated schema of its own on the test PostgreSQL; dropped afterwards."""
    base = require_postgres()
    schema = f"callrouter_e2e_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(base), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    store = Store.open(url)
    try:
        store.upgrade()
    finally:
        store.close()
    yield url
    with psycopg.connect(_libpq(base), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def flaky(postgres_url):
    """The database behind a TCP proxy that `down()` cuts and `up()` restores."""
    database = FlakyPostgres(postgres_url)
    yield database
    database.close()


def test_database_down_mid_traffic_then_back_every_call_recorded_exactly_once(make_harness, flaky):
    h = make_harness(store_url=flaky.url)
    h.employee("s.kuznetsov", answer_after=1)
    calls = [h.call("203")]
    assert [record.uuid for record in h.history()] == [calls[0].uuid]

    flaky.down()
    calls += [h.call("203") for _ in range(3)]
    assert all(call.answered_by == "s.kuznetsov" for call in calls)      # calls never wait for the database
    h.settle()
    wait_until(lambda: h.metric("callrouter_record_spooled_total") >= 3, what="the records to be spooled")
    assert h.metric("callrouter_record_write_failures_total") >= 1

    flaky.up()
    records = h.history(timeout=15)
    assert Counter(record.uuid for record in records) == Counter(call.uuid for call in calls)
    assert all(record.outcome == "answered" and record.steps for record in records)


def test_two_daemons_on_one_database_share_rotation_overrides_and_history(make_harness, postgres_url):
    first, second = make_harness(store_url=postgres_url), make_harness(store_url=postgres_url)
    for daemon in (first, second):
        for member in MEMBERS:
            daemon.employee(member, answer_after=1)

    def sees_rotation(daemon, start: int) -> bool:
        return daemon.app.store.state.round_robin_start(RECEPTION) == start

    desk = [first.call("303")]
    wait_until(lambda: sees_rotation(second, 1), what="the second daemon to see the rotation advance")
    desk.append(second.call("303"))
    wait_until(lambda: sees_rotation(first, 2), what="the first daemon to see the rotation advance")
    desk.append(first.call("303"))
    assert [rung(call) for call in desk] == [[["a.volkov"]], [["b.zaitsev"]], [["c.morozov"]]]

    code = second.call("*78", caller="a.volkov")
    wait_until(lambda: first.app.store.state.dnd("a.volkov"), what="the first daemon to see the override")
    direct = first.call("211")
    assert direct.bridges == [] and direct.hangup_cause == "USER_BUSY"     # a.volkov's phone stays silent

    placed = desk + [code, direct]
    second.history()                                                   # the second daemon's records written
    records = first.history()
    assert Counter(record.uuid for record in records) == Counter(call.uuid for call in placed)
    by_uuid = {record.uuid: record for record in records}
    assert [by_uuid[call.uuid].answered_by for call in desk] == list(MEMBERS)
    assert (by_uuid[code.uuid].outcome, by_uuid[direct.uuid].reason) == ("feature", "dnd")
