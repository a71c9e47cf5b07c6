"""Role × scope × query on a real store, SQLite and PostgreSQL (issue 10): the list, its
pages and count, the CSV export, a call's detail and the statistics all see exactly the
calls the issue's table gives each viewer."""
import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest

from config.access import members_of, scope_for
from store.export import calls_csv
from store.history import CallFilter, FilterError, call_detail, count_calls, iter_calls, list_calls
from store.stats import call_stats
from tests.history_company import CALLS, SEES, T0, company

MOSCOW = ZoneInfo("Europe/Moscow")
VIEWERS = sorted(SEES)


@pytest.fixture
def snapshot():
    return company()


@pytest.fixture
def history(store, snapshot):
    store.sync_directory(snapshot)
    store.write_records(CALLS)
    return store


def every_page(store, scope, f=CallFilter(), limit=2):
    seen, cursor = [], None
    while True:
        rows, cursor = list_calls(store, scope, f, limit=limit, cursor=cursor)
        seen += rows
        if cursor is None:
            return seen


@pytest.mark.parametrize("login", VIEWERS)
def test_the_list_and_its_pages_hold_exactly_the_viewers_calls_newest_first(history, snapshot, login):
    rows = every_page(history, scope_for(login, snapshot))
    assert {r.uuid for r in rows} == SEES[login]
    assert len(rows) == len(SEES[login])
    assert [r.started_at for r in rows] == sorted((r.started_at for r in rows), reverse=True)


@pytest.mark.parametrize("login", VIEWERS)
def test_the_count_and_the_export_agree_with_the_list(history, snapshot, login):
    scope = scope_for(login, snapshot)
    assert count_calls(history, scope) == len(SEES[login])
    text = "".join(calls_csv(iter_calls(history, scope, batch=3), MOSCOW))
    assert text.startswith("\ufeff")
    assert {r["uuid"] for r in csv.DictReader(io.StringIO(text[1:]), delimiter=";")} == SEES[login]


@pytest.mark.parametrize("login", VIEWERS)
def test_a_calls_detail_exists_only_inside_the_scope(history, snapshot, login):
    scope = scope_for(login, snapshot)
    found = {c.uuid for c in CALLS if call_detail(history, scope, c.uuid) is not None}
    assert found == SEES[login]
    assert call_detail(history, scope, "no-such-call") is None


@pytest.mark.parametrize("login", VIEWERS)
def test_statistics_count_only_the_calls_in_scope(history, snapshot, login):
    scope = scope_for(login, snapshot)
    stats = call_stats(history, scope, T0, T0 + dt.timedelta(days=1), MOSCOW)
    received = {c.uuid for c in CALLS if c.uuid in SEES[login] and c.direction != "outbound"}
    assert stats.totals.received == len(received)
    assert sum(h.answered + h.missed for h in stats.by_hour) == len(received)
    if scope.kind == "departments":
        assert {d.key for d in stats.departments} <= set(scope.departments)
        assert {e.key for e in stats.employees} <= set(scope.logins)
    if scope.kind == "mine":
        assert stats.departments == [] and {e.key for e in stats.employees} <= {login}


def test_a_call_missed_by_one_department_and_answered_by_the_next_counts_for_both(history, snapshot):
    stats = call_stats(history, scope_for("boss", snapshot), T0, T0 + dt.timedelta(days=1), MOSCOW)
    by_name = {d.key: d for d in stats.departments}
    support, sales = by_name["Поддержка"], by_name["Продажи"]
    assert (support.received, support.answered, support.missed) == (2, 1, 1)
    assert (sales.received, sales.answered, sales.missed, sales.answer_rate) == (2, 2, 0, 1.0)
    people = {e.key: e for e in stats.employees}
    assert (people["petr"].answered, people["petr"].missed) == (1, 1)      # took ext-sales, missed his own
    assert (people["maria"].received, people["maria"].missed) == (1, 1)    # rang for Поддержка, nobody took it
    assert people["olga"].answered == 3
    assert stats.totals.received == 7 and stats.totals.answered == 6
    assert stats.by_hour[12].answered == 6 and stats.by_hour[12].missed == 1   # 09:00 UTC is 12:00 in Moscow


def test_waiting_times_average_and_90th_percentile(store, snapshot):
    from tests.history_company import call
    store.sync_directory(snapshot)
    # waits of 10, 20, …, 100 s: one step of 10 s per wait, the last answered
    store.write_records([call(f"w{n}", n, steps=[("employee:olga", ("olga",), "")] * (n - 1)
                              + [("employee:olga", ("olga",), "olga")]) for n in range(1, 11)])
    stats = call_stats(store, scope_for("boss", snapshot), T0, T0 + dt.timedelta(days=1), MOSCOW)
    olga = stats.employees[0]
    assert (olga.key, olga.wait_avg, olga.wait_p90, olga.talk_avg) == ("olga", 55.0, 90, 60.0)
    assert stats.totals.wait_p90 == 90


def test_missed_numbers_count_as_called_back_after_a_call_out_or_an_answered_call_in(store, snapshot):
    from tests.history_company import call
    store.sync_directory(snapshot)
    store.write_records([
        call("missed-a", 0, caller="+79160000001", steps=[("employee:olga", ("olga",), "")]),
        call("back-to-a", 5, caller="204", called="8 (916) 000-00-01", direction="outbound"),
        call("missed-b", 1, caller="89160000002", steps=[("employee:olga", ("olga",), "")]),
        call("b-again", 6, caller="+79160000002", steps=[("employee:olga", ("olga",), "olga")]),
        call("missed-c", 2, caller="+79160000003", steps=[("employee:olga", ("olga",), "")]),
        call("missed-c2", 3, caller="+7 916 000-00-03", steps=[("employee:petr", ("petr",), "")]),
    ])
    stats = call_stats(store, scope_for("boss", snapshot), T0, T0 + dt.timedelta(days=1), MOSCOW)
    assert stats.not_called_back_total == 1
    [c] = stats.not_called_back
    assert (c.number, c.missed, c.last_uuid) == ("+7 916 000-00-03", 2, "missed-c2")
    # petr's department cannot see olga's callback-free miss of C, only its own
    sales = call_stats(store, scope_for("petr", snapshot), T0, T0 + dt.timedelta(days=1), MOSCOW)
    assert [(c.last_uuid, c.missed) for c in sales.not_called_back] == [("missed-c2", 1)]


@pytest.mark.parametrize("text", ["8 (916) 000-00-01", "+79160000001", "79160000001", "9160000001", "000-00-01"])
def test_a_number_is_found_in_any_spelling(history, snapshot, text):
    rows, _ = list_calls(history, scope_for("boss", snapshot), CallFilter(number=text))
    assert [r.uuid for r in rows] == ["ext-missed-petr"]


def test_filters_by_direction_outcome_period_employee_and_department(history, snapshot):
    boss = scope_for("boss", snapshot)

    def uuids(**kw):
        return {r.uuid for r in every_page(history, boss, CallFilter(**kw))}

    assert uuids(direction="internal") == {"int-petr-olga", "int-boss-ivan"}
    assert uuids(outcome="voicemail") == {"ext-missed-petr"}
    assert uuids(outcome="not_answered") == {"ext-missed-petr", "out-maria"}
    assert uuids(start=T0 + dt.timedelta(minutes=6)) == {"out-maria", "ext-missed-petr"}
    assert uuids(end=T0 + dt.timedelta(minutes=1)) == {"ext-sales"}
    assert uuids(employee="maria") == SEES["maria"] | {"ext-support-then-sales"}
    assert uuids(department="Продажи", department_members=members_of(snapshot, "Продажи")) == SEES["ivan"]


def test_a_filter_outside_the_scope_is_refused(history, snapshot):
    head = scope_for("ivan", snapshot)
    with pytest.raises(FilterError):
        list_calls(history, head, CallFilter(employee="olga"))
    with pytest.raises(FilterError):
        list_calls(history, head, CallFilter(department="Поддержка"))
    with pytest.raises(FilterError):
        list_calls(history, scope_for("maria", snapshot), CallFilter(employee="maria"))
    with pytest.raises(FilterError):
        list_calls(history, head, cursor="not-a-cursor")
    rows, _ = list_calls(history, head, CallFilter(employee="petr"))
    assert {r.uuid for r in rows} == {"ext-sales", "int-petr-olga", "ext-support-then-sales", "ext-missed-petr"}


def test_the_path_says_who_rang_on_which_device_and_why_each_step_ended(history, snapshot):
    detail = call_detail(history, scope_for("boss", snapshot), "ext-support-then-sales")
    assert [(s.target, s.ended_because, [leg.login for leg in s.legs]) for s in detail.path] == [
        ("department:Поддержка", "no_answer", ["olga", "maria"]),
        ("department:Продажи", "answered", ["ivan", "petr"])]
    assert detail.path[1].legs[0].starts_at == T0 + dt.timedelta(minutes=3, seconds=10)
    assert detail.call.answered_by == "ivan" and detail.call.outcome == "answered"
    assert detail.call.as_dict(MOSCOW)["started_at"] == "2024-03-04T12:03:00+03:00"


def test_a_callback_written_before_the_missed_call_still_counts(store, snapshot):
    from tests.history_company import call
    store.sync_directory(snapshot)
    store.write_records([call("back", 5, caller="204", called="+79160000001", direction="outbound")])
    store.write_records([call("missed", 0, caller="8 916 000 00 01", steps=[("employee:olga", ("olga",), "")])])
    stats = call_stats(store, scope_for("boss", snapshot), T0, T0 + dt.timedelta(days=1), MOSCOW)
    assert (stats.totals.missed, stats.not_called_back_total) == (1, 0)
