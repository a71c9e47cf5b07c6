"""Statistics rolled up as records are written, so a whole company's month is cheap.

`call_rollups` holds, per UTC month and day (and per UTC hour for the calls
themselves, for the chart by hour), per party (`*` for the calls, `e:LOGIN`,
`d:NAME`) and per external/internal: calls received, answered, missed, the sums
of waiting and talk seconds, and a histogram of waiting times. Sums and
histograms add and subtract, so any period is a few rollup rows plus, at its
edges, the raw rows of less than a day (`cover()`); a calendar month in Moscow
time is the UTC month's rows, plus 3 hours before it, minus 3 hours at its end.

The 90th percentile of waiting comes from the histogram: it is the upper edge of
the bucket in which 90 % of the calls are reached (5 s steps to 30 s, then 10 s
to 60 s, then 90, 120, 180, 300, 600, 3600 s); the raw path for narrow scopes
uses the same buckets so that every page shows the same kind of figure.

The writer adds a batch's rollups in the transaction that writes the records;
`add()` merges rows by key first, and upserts (the additions are commutative, so
several daemons writing to one PostgreSQL store need no other coordination).
"""
from __future__ import annotations

import bisect
import itertools
import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from sqlalchemy.engine import Connection

from store import dialect
from store.history_facts import NOT_ANSWERED
from store.tables import WAIT_BUCKETS, call_rollups

WAIT_EDGES = (5, 10, 15, 20, 25, 30, 40, 50, 60, 90, 120, 180, 300, 600, 3600)
assert len(WAIT_EDGES) + 1 == WAIT_BUCKETS
CALLS = "*"
SUMS = ("received", "answered", "missed", "wait_sum", "talk_sum") + tuple(f"w{i}" for i in range(WAIT_BUCKETS))
UTC = dt.timezone.utc


def wait_bucket(wait: int) -> int:
    """The histogram bucket of a wait: the first edge it does not exceed."""
    return bisect.bisect_left(WAIT_EDGES, wait)


@dataclass
class Agg:
    """Sums for one party over some period; adds and subtracts."""
    received: int = 0
    answered: int = 0
    missed: int = 0
    wait_sum: int = 0
    talk_sum: int = 0
    hist: list[int] = field(default_factory=lambda: [0] * WAIT_BUCKETS)

    def add(self, other: "Agg", sign: int = 1) -> None:
        self.received += sign * other.received
        self.answered += sign * other.answered
        self.missed += sign * other.missed
        self.wait_sum += sign * other.wait_sum
        self.talk_sum += sign * other.talk_sum
        self.hist = [a + sign * b for a, b in zip(self.hist, other.hist)]

    def add_call(self, answered: bool, missed: bool, wait: int, talk: int) -> None:
        self.received += 1
        self.answered += int(answered)
        self.missed += int(missed)
        self.wait_sum += wait
        self.talk_sum += talk if answered else 0
        self.hist[wait_bucket(wait)] += 1

    def p90(self):
        """Upper edge of the bucket holding the 90th percentile of waits (None if nothing)."""
        if self.received <= 0:
            return None
        need = -(-self.received * 9 // 10)
        i = bisect.bisect_left(list(itertools.accumulate(self.hist)), need)   # a company has 10,000 of these
        return WAIT_EDGES[min(i, len(WAIT_EDGES) - 1)]


# --------------------------------------------------------------------------- periods

def hour_of(t: dt.datetime) -> dt.datetime:
    return t.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def day_of(t: dt.datetime) -> dt.datetime:
    return hour_of(t).replace(hour=0)


def month_of(t: dt.datetime) -> dt.datetime:
    return day_of(t).replace(day=1)


def next_month(m: dt.datetime) -> dt.datetime:
    return m.replace(year=m.year + 1, month=1) if m.month == 12 else m.replace(month=m.month + 1)


def _ceil(t: dt.datetime, floor, step) -> dt.datetime:
    f = floor(t)
    return f if f == t else step(f)


def _days(a: dt.datetime, b: dt.datetime, sign: int) -> list[tuple[int, str, dt.datetime, dt.datetime]]:
    """[a, b) within one month as raw edges around whole days."""
    da = _ceil(a, day_of, lambda d: d + dt.timedelta(days=1))
    db = day_of(b)
    if da >= db:
        return [(sign, "raw", a, b)] if a < b else []
    out = [(sign, "raw", a, da)] if a < da else []
    out.append((sign, "d", da, db))
    if db < b:
        out.append((sign, "raw", db, b))
    return out


def cover(start: dt.datetime, end: dt.datetime) -> list[tuple[int, str, dt.datetime, dt.datetime]]:
    """[start, end) as signed segments: ("m"|"d", period range) rollups and ("raw", time range)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    out: list[tuple[int, str, dt.datetime, dt.datetime]] = []
    m = month_of(start)
    while m < end:
        nm = next_month(m)
        a, b = max(start, m), min(end, nm)
        if (a, b) == (m, nm):
            out.append((1, "m", m, nm))
        elif (b - a) * 2 > (nm - m):            # mostly inside: the month, less what is outside
            out.append((1, "m", m, nm))
            out += _days(m, a, -1) + _days(b, nm, -1)
        else:
            out += _days(a, b, 1)
        m = nm
    return out


# --------------------------------------------------------------------------- writing

def is_received(direction: str, result: str) -> bool:
    return direction != "outbound" and (result == "answered" or result in NOT_ANSWERED)


def rows_for(calls: Sequence[dict], parties: Iterable[dict]) -> dict[tuple, Agg]:
    """The rollup additions of some calls (`calls` rows with their derived columns) and their parties."""
    out: dict[tuple, Agg] = {}

    def add(level, period, party, external, answered, missed, wait, talk):
        key = (level, period, party, external)
        agg = out.get(key)
        if agg is None:
            agg = out[key] = Agg()
        agg.add_call(answered, missed, wait, talk)

    for c in calls:
        if not is_received(c["direction"], c["result"]):
            continue
        started, external, answered = c["started"], c["direction"] != "internal", c["result"] == "answered"
        for level, period in (("h", hour_of(started)), ("d", day_of(started)), ("m", month_of(started))):
            add(level, period, CALLS, external, answered, not answered, c["wait"], c["talk"])
    for p in parties:
        if not (p["answered"] or p["missed"]):
            continue
        for level, period in (("d", day_of(p["started"])), ("m", month_of(p["started"]))):
            add(level, period, p["party"], p["external"], p["answered"], p["missed"], p["wait"], p["talk"])
    return out


def add(conn: Connection, rows: dict[tuple, Agg]) -> None:
    """Add the sums to `call_rollups` (insert, or add to the row already there)."""
    if not rows:
        return
    values = []
    for (level, period, party, external), agg in rows.items():
        values.append({"level": level, "period": period, "party": party, "external": external,
                       "received": agg.received, "answered": agg.answered, "missed": agg.missed,
                       "wait_sum": agg.wait_sum, "talk_sum": agg.talk_sum,
                       **{f"w{i}": n for i, n in enumerate(agg.hist)}})
    stmt = dialect.insert(conn, call_rollups)
    stmt = stmt.on_conflict_do_update(index_elements=["level", "period", "party", "external"],
                                      set_={name: call_rollups.c[name] + stmt.excluded[name] for name in SUMS})
    conn.execute(stmt, values)
