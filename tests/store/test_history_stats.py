"""Statistics read from the rollups equal those counted from the raw rows, whatever the
period's edges (months in another time zone, weeks, odd minutes), and whatever batches
the records came in."""
import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest

from config.access import scope_for
from store import stats
from store.rollups import WAIT_EDGES, Agg, cover, wait_bucket
from tests.history_company import call, company

MOSCOW = ZoneInfo("Europe/Moscow")
NEW_YORK = ZoneInfo("America/New_York")
START = dt.datetime(2024, 1, 25, tzinfo=dt.timezone.utc)


def spread_calls():
    rng = random.Random(7)
    out = []
    for n in range(160):
        minute = n * 977                                        # every ~16 h, over three months
        answered = rng.random() < 0.6
        kind = rng.random()
        if kind < 0.5:
            steps = [("department:Поддержка", ("olga", "maria"), ""),
                     ("department:Продажи", ("ivan", "petr"), "ivan" if answered else "")]
        elif kind < 0.8:
            steps = [("employee:olga", ("olga",), "olga" if answered else "")]
        else:
            steps = [("employee:petr", ("petr",), "petr" if answered else "")]
        direction = "internal" if rng.random() < 0.3 else "inbound"
        c = call(f"s{n}", 0, caller="203" if direction == "internal" else f"+7916000{n % 13:04d}",
                 direction=direction, steps=steps, talk=rng.randint(5, 300))
        shift = START + dt.timedelta(minutes=minute) - c.started
        c.started += shift
        c.answered = c.answered + shift if c.answered else None
        c.ended += shift
        for s in c.steps:
            s.started += shift
            s.ended += shift
        out.append(c)
    return out


@pytest.fixture
def spread(store):
    snapshot = company()
    store.sync_directory(snapshot)
    records = spread_calls()
    for i in range(0, len(records), 50):                        # several batches: rollups add up
        store.write_records(records[i:i + 50])
    return store, snapshot


PERIODS = [
    (dt.datetime(2024, 2, 1, tzinfo=MOSCOW), dt.datetime(2024, 3, 1, tzinfo=MOSCOW)),
    (dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc), dt.datetime(2024, 4, 1, tzinfo=dt.timezone.utc)),
    (dt.datetime(2024, 2, 12, tzinfo=MOSCOW), dt.datetime(2024, 2, 19, tzinfo=MOSCOW)),
    (dt.datetime(2024, 1, 29, 10, 17, tzinfo=MOSCOW), dt.datetime(2024, 3, 27, 23, 59, tzinfo=MOSCOW)),
    (dt.datetime(2024, 2, 1, tzinfo=NEW_YORK), dt.datetime(2024, 4, 1, tzinfo=NEW_YORK)),
    (dt.datetime(2024, 2, 10, 3, 30, tzinfo=MOSCOW), dt.datetime(2024, 2, 10, 19, 5, tzinfo=MOSCOW)),
]


@pytest.mark.parametrize("login", ["boss", "pc"])
@pytest.mark.parametrize("start, end", PERIODS)
def test_rollups_and_raw_rows_give_the_same_figures(spread, login, start, end):
    store, snapshot = spread
    scope = scope_for(login, snapshot)
    with store.engine.connect() as conn:
        rolled = {k: v for k, v in stats._company_sums(conn, scope, start, end).items() if v.received}
        raw = stats._raw_sums(conn, scope, start, end)
        assert rolled == raw
        assert stats._company_by_hour(conn, scope, start, end, MOSCOW) == \
            stats._raw_by_hour(conn, scope, start, end, MOSCOW)
    assert raw["*"].received > 0


def test_a_month_in_moscow_is_the_utc_month_and_two_edges():
    start, end = dt.datetime(2024, 2, 1, tzinfo=MOSCOW), dt.datetime(2024, 3, 1, tzinfo=MOSCOW)
    utc = dt.timezone.utc
    assert cover(start, end) == [
        (1, "raw", dt.datetime(2024, 1, 31, 21, tzinfo=utc), dt.datetime(2024, 2, 1, tzinfo=utc)),
        (1, "m", dt.datetime(2024, 2, 1, tzinfo=utc), dt.datetime(2024, 3, 1, tzinfo=utc)),
        (-1, "raw", dt.datetime(2024, 2, 29, 21, tzinfo=utc), dt.datetime(2024, 3, 1, tzinfo=utc))]


def test_the_90th_percentile_is_the_upper_edge_of_its_bucket():
    agg = Agg()
    for wait in [3] * 89 + [14] + [200] * 10:
        agg.add_call(True, False, wait, 10)
    assert agg.p90() == 15
    assert [wait_bucket(w) for w in (0, 5, 6, 3600, 3601)] == [0, 0, 1, len(WAIT_EDGES) - 1, len(WAIT_EDGES)]
    assert Agg().p90() is None


@pytest.mark.parametrize("start, end", PERIODS[:2] + PERIODS[3:4])
def test_the_database_sums_as_python_would(spread, start, end):
    """The sums and the 90th percentile the statistics get from one SQL query are what
    adding each party's rows in Python (store.rollups.Agg) gives."""
    from sqlalchemy import select
    from store.tables import call_parties
    store, snapshot = spread
    p = call_parties.c
    expected: dict[str, Agg] = {}
    with store.engine.connect() as conn:
        for party, answered, missed, wait, talk in conn.execute(
                select(p.party, p.answered, p.missed, p.wait, p.talk).where(p.started >= start, p.started < end)):
            if answered or missed:
                expected.setdefault(party, Agg()).add_call(answered, missed, wait, talk)
        got = stats._company_sums(conn, scope_for("boss", snapshot), start, end)
    assert expected
    for party, agg in expected.items():
        assert got[party] == (agg.received, agg.answered, agg.missed, agg.wait_sum, agg.talk_sum, agg.p90()), party
    assert {p for p in got if p != "*"} == set(expected)


def test_the_90th_percentile_in_sql_for_every_bucket(store):
    """A party whose waits put the 90th percentile in each histogram bucket in turn."""
    from sqlalchemy import literal, select
    rows = []
    for edge_index, wait in enumerate(list(WAIT_EDGES) + [5000]):
        agg = Agg()
        for w in [0] * 8 + [wait] * 2:
            agg.add_call(True, False, w, 0)
        rows.append((f"e:p{edge_index}", agg))
    segments = [select(literal(party).label("party"),
                       *(literal(v).label(name) for v, name in zip(
                           [a.received, a.answered, a.missed, a.wait_sum, a.talk_sum, *a.hist], stats.SUMS)))
                for party, a in rows]
    with store.engine.connect() as conn:
        got = stats._sums(conn, segments)
    assert {party: s.wait_p90 for party, s in got.items()} == {party: a.p90() for party, a in rows}
    assert [a.p90() for _, a in rows] == list(WAIT_EDGES) + [WAIT_EDGES[-1]]
