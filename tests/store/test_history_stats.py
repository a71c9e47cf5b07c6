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
