"""Revision 0004 gives the calls recorded before it what history and statistics need."""
import datetime as dt

from sqlalchemy import bindparam, text

from daemon.web.access import scope_for
from store.history import CallFilter, list_calls
from store.stats import call_stats
from store.tables import UTCDateTime
from tests.history_company import T0, company
from tests.store.conftest import open_store

TIMES = (bindparam("t", type_=UTCDateTime()), bindparam("e", type_=UTCDateTime()))   # stored as the code stores them


def test_calls_recorded_before_the_upgrade_appear_in_history_and_statistics(store_url):
    store = open_store(store_url)
    store.upgrade("0002")
    snapshot = company()
    store.sync_directory(snapshot)
    with store.engine.begin() as conn:
        for uuid, minute, caller, direction, answered_by in (("old-in", 0, "8 916 000-00-01", "inbound", ""),
                                                             ("old-back", 5, "204", "internal", "petr")):
            conn.execute(text(
                "INSERT INTO calls (uuid, started, ended, caller, caller_name, called, direction, target, reason,"
                " outcome, answered_by, hangup_cause, node) VALUES (:u, :t, :e, :c, '', '203', :d,"
                " 'employee:petr', 'working', :o, :a, 'NORMAL_CLEARING', '')").bindparams(*TIMES),
                {"u": uuid, "t": T0 + dt.timedelta(minutes=minute), "e": T0 + dt.timedelta(minutes=minute, seconds=20),
                 "c": caller, "d": direction, "o": "answered" if answered_by else "abandoned", "a": answered_by})
        call_id = conn.execute(text("SELECT id FROM calls WHERE uuid = 'old-in'")).scalar_one()
        conn.execute(text("INSERT INTO call_steps (call_id, seq, action, target, reason, started, ended, disposition,"
                          " answered_by) VALUES (:i, 0, 'ring', 'employee:petr', 'direct', :t, :e, 'NO_ANSWER', '')")
                     .bindparams(*TIMES),
                     {"i": call_id, "t": T0, "e": T0 + dt.timedelta(seconds=20)})

    store.upgrade()

    petr = scope_for("petr", snapshot)             # a user: the department's external calls
    rows, _ = list_calls(store, petr, CallFilter(number="+79160000001"))
    assert [(r.uuid, r.outcome, r.wait_seconds) for r in rows] == [("old-in", "abandoned", 20)]
    stats = call_stats(store, scope_for("boss", snapshot), T0, T0 + dt.timedelta(days=40), "Europe/Moscow")
    people = {e.key: e for e in stats.employees}
    assert (people["petr"].received, people["petr"].answered, people["petr"].missed) == (2, 1, 1)
    assert stats.not_called_back_total == 1
    store.close()
