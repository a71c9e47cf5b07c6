"""«Статистика»: per department and per employee in the viewer's scope, calls by hour,
and missed numbers nobody called back.

Definitions (issue 10):
- a department received a call when a step rang it; answered when someone answered in
  one of its steps; otherwise the call is missed *for it*, even when a later forward
  was answered elsewhere (the provider's rule);
- an employee answered the calls they took; missed those where a step that rang them
  ended without a conversation; a call a colleague took in the same step is neither;
  received = answered + missed, answer rate = answered / received;
- waiting time: from the call's start to its answer, or to its end when nobody
  answered (the caller's wait); averaged and its 90th percentile (the smallest wait
  that 90 % of the received calls did not exceed) over the received calls; talk time
  averaged over the answered ones;
- totals and `by_hour` count each call once (answered, or one of the unanswered
  outcomes), in the viewer's time zone;
- a missed external number counts as called back when, after the miss, a call in the
  scope went out to it or a call from it was answered.

Every query takes the scope's WHERE (store/scope.py). The per-party rows are worked
out when a record is written (`call_parties`). A scope of the whole company reads
the rollups (store/rollups.py: a month of 10,000 employees is a few ten thousand
rows instead of a million) with raw rows only at the period's edges; a department's
or one person's scope reads its own raw rows through the party index. The 90th
percentile is the upper edge of its histogram bucket (store/rollups.py).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Integer, and_, case, cast, func, literal, or_, select, text, union_all
from sqlalchemy.sql.elements import ColumnElement

from config.access import COMPANY, DEPARTMENTS, Scope
from store.callbacks import later_callback
from store.history_facts import DEPARTMENT, EMPLOYEE, NOT_ANSWERED
from store.rollups import CALLS, SUMS, WAIT_EDGES, Agg, cover, hour_of, next_month
from store.scope import calls_of, party_clause, scope_clause
from store.tables import UNCALLED_WHERE, WAIT_BUCKETS, call_parties, call_rollups, calls

BUCKET = 900                # seconds: quarter hours map to local hours exactly in every real time zone
NOT_CALLED_BACK_LIMIT = 100


class GroupStats(NamedTuple):
    """A tuple, not a dataclass: a company's month makes ten thousand of them."""
    key: str                                # department name or login; "" for the totals
    received: int
    answered: int
    missed: int
    answer_rate: Optional[float]            # 0..1; None when nothing was received
    wait_avg: Optional[float]               # seconds
    wait_p90: Optional[int]
    talk_avg: Optional[float]


@dataclass(frozen=True)
class HourStats:
    hour: int                               # 0..23 in the viewer's time zone
    answered: int
    missed: int


@dataclass(frozen=True)
class UncalledNumber:
    number: str                             # as the last missed call showed it
    caller_name: str
    missed: int                             # missed calls from it in the period
    last_missed_at: dt.datetime
    last_uuid: str


@dataclass(frozen=True)
class Stats:
    start: dt.datetime
    end: dt.datetime
    totals: GroupStats
    departments: list[GroupStats]
    employees: list[GroupStats]
    by_hour: list[HourStats]
    not_called_back: list[UncalledNumber]   # newest miss first, at most NOT_CALLED_BACK_LIMIT
    not_called_back_total: int


def call_stats(store, scope: Scope, start: dt.datetime, end: dt.datetime, tz: ZoneInfo | str) -> Stats:
    """The statistics of the calls started in [start, end) that `scope` sees."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("statistics need aware start and end times")
    with store._read() as conn:
        if scope.kind == COMPANY:
            sums = _company_sums(conn, scope, start, end)
            by_hour = _company_by_hour(conn, scope, start, end, zone)
        else:
            sums = _raw_sums(conn, scope, start, end)
            by_hour = _raw_by_hour(conn, scope, start, end, zone)
        uncalled, uncalled_total = _not_called_back(conn, scope, start, end)
    groups = sorted(((key, _group(key[2:], agg)) for key, agg in sums.items() if key != CALLS and agg.received),
                    key=lambda pair: pair[0])
    totals = _group("", sums.get(CALLS, Sums(0, 0, 0, 0, 0, None)))
    departments = [g for key, g in groups if key.startswith(DEPARTMENT)]
    employees = [g for key, g in groups if key.startswith(EMPLOYEE)]
    return Stats(start, end, totals, departments, employees, by_hour, uncalled, uncalled_total)


def _group(key: str, a: "Sums") -> GroupStats:
    received = a.received
    return GroupStats(key=key, received=received, answered=a.answered, missed=a.missed,
                      answer_rate=a.answered / received if received else None,
                      wait_avg=a.wait_sum / received if received else None, wait_p90=a.wait_p90,
                      talk_avg=a.talk_sum / a.answered if a.answered else None)


# --------------------------------------------------------------------------- sums, in SQL

class Sums(NamedTuple):
    """One party's (or the calls') figures over the period, as the database summed them."""
    received: int
    answered: int
    missed: int
    wait_sum: int
    talk_sum: int
    wait_p90: Optional[int]


_HIST = tuple(f"w{i}" for i in range(WAIT_BUCKETS))


def _wait_bucket(column) -> ColumnElement:
    return case(*((column <= edge, i) for i, edge in enumerate(WAIT_EDGES)), else_=len(WAIT_EDGES))


def _party_where(scope: Scope, start: dt.datetime, end: dt.datetime) -> ColumnElement:
    p = call_parties.c
    conditions = [p.started >= start, p.started < end, or_(p.answered.is_(True), p.missed.is_(True)),
                  party_clause(scope)]
    if not scope.internal:
        conditions.append(p.external.is_(True))
    if scope.kind == DEPARTMENTS:
        conditions.append(p.call_id.in_(calls_of(scope.departments, scope.logins, start, end)))
    return and_(*conditions)


def _flag(column) -> ColumnElement:
    return case((column.is_(True), 1), else_=0)


def _received_where(scope: Scope, start, end) -> ColumnElement:
    return and_(scope_clause(scope, calls, start, end), calls.c.started >= start, calls.c.started < end,
                calls.c.direction != "outbound", calls.c.result.in_(("answered",) + NOT_ANSWERED))


def _raw_segments(scope: Scope, start, end, sign: int) -> list:
    """Per party and for the calls ("*"), the raw rows of [start, end) summed, times `sign`."""
    p = call_parties.c
    parties = select(p.party.label("party"), _flag(p.answered).label("answered"), _flag(p.missed).label("missed"),
                     p.wait.label("wait"), p.talk.label("talk"), _wait_bucket(p.wait).label("bucket")
                     ).where(_party_where(scope, start, end)).subquery()
    c = calls.c
    answered = c.result == "answered"
    received = select(literal(CALLS).label("party"), case((answered, 1), else_=0).label("answered"),
                      case((answered, 0), else_=1).label("missed"), c.wait.label("wait"),
                      case((answered, c.talk), else_=0).label("talk"), _wait_bucket(c.wait).label("bucket")
                      ).where(_received_where(scope, start, end)).subquery()
    out = []
    for rows in (parties, received):
        x = rows.c
        counts = [func.count(), func.sum(x.answered), func.sum(x.missed)]
        counts += [func.sum(case((x.bucket == i, 1), else_=0)) for i in range(WAIT_BUCKETS)]
        counters = [cast(n * sign, Integer) for n in counts]          # PostgreSQL sums integers fast, numerics not
        out.append(select(x.party, *(n.label(name) for n, name in zip(counters[:3], SUMS[:3])),
                          cast(func.sum(x.wait) * sign, BigInteger).label("wait_sum"),
                          cast(func.sum(x.talk) * sign, BigInteger).label("talk_sum"),
                          *(n.label(name) for n, name in zip(counters[3:], _HIST)))
                   .group_by(x.party))
    return out


def _rollup_segment(scope: Scope, level: str, a, b, sign: int):
    r = call_rollups.c
    one = level == "m" and b == next_month(a)
    stmt = select(r.party.label("party"), *((r[name] if sign == 1 else r[name] * sign).label(name) for name in SUMS)).where(
        r.level == level, *((r.period == a,) if one else (r.period >= a, r.period < b)))
    if not scope.internal:
        stmt = stmt.where(r.external.is_(True))
    return stmt


def _sums(conn, segments: list) -> dict[str, Sums]:
    """The signed segments added up per party, with the 90th percentile of waiting worked
    out from the summed histogram in the same query: a company's month is ten thousand
    rows, and building an object per row and bucket in Python took most of a second.

    The percentile is the upper edge of the first bucket whose running total reaches
    90 % of the received calls (`10 * running >= 9 * received`: integers only, no
    rounding on either database); what store.rollups.Agg.p90 says.
    """
    union = union_all(*segments).subquery() if len(segments) > 1 else segments[0].subquery()
    u = union.c
    summed = select(u.party, *(cast(func.sum(u[name]), BigInteger).label(name) for name in SUMS)  # not numeric
                    ).group_by(u.party).subquery()
    s = summed.c
    running, whens = None, []
    for i, edge in enumerate(WAIT_EDGES):
        running = s[f"w{i}"] if running is None else running + s[f"w{i}"]
        whens.append((running * 10 >= s.received * 9, edge))
    p90 = case((s.received <= 0, None), *whens, else_=WAIT_EDGES[-1])
    rows = conn.execute(select(s.party, s.received, s.answered, s.missed, s.wait_sum, s.talk_sum, p90)
                        .where(s.received != 0)).all()
    return {row[0]: Sums._make(row[1:]) for row in rows}         # integers already: cast to BIGINT


def _raw_sums(conn, scope: Scope, start, end) -> dict[str, Sums]:
    """Per party and for the calls ("*"), from the raw rows of [start, end).

    A department's or a person's scope has a few dozen parties: grouping by party and
    wait bucket and adding the buckets up here is twice as fast as the single query of
    `_sums` (whose per-bucket CASE sums run on every raw row).
    """
    out: dict[str, Agg] = {}
    p = call_parties.c
    bucket = _wait_bucket(p.wait)
    for party, w, n, answered, missed, wait, talk in conn.execute(
            select(p.party, bucket, func.count(), func.sum(_flag(p.answered)), func.sum(_flag(p.missed)),
                   func.sum(p.wait), func.sum(p.talk)).where(_party_where(scope, start, end))
            .group_by(p.party, bucket)):
        _into(out.setdefault(party, Agg()), w, n, answered, missed, wait, talk)
    c = calls.c
    bucket = _wait_bucket(c.wait)
    answered = c.result == "answered"
    for w, n, n_answered, wait, talk in conn.execute(
            select(bucket, func.count(), func.sum(case((answered, 1), else_=0)), func.sum(c.wait),
                   func.sum(case((answered, c.talk), else_=0))).where(_received_where(scope, start, end))
            .group_by(bucket)):
        _into(out.setdefault(CALLS, Agg()), w, n, n_answered, n - (n_answered or 0), wait, talk)
    return {party: Sums(a.received, a.answered, a.missed, a.wait_sum, a.talk_sum, a.p90())
            for party, a in out.items() if a.received}


def _into(agg: Agg, bucket, n, answered, missed, wait, talk) -> None:
    agg.received += n
    agg.answered += int(answered or 0)
    agg.missed += int(missed or 0)
    agg.wait_sum += int(wait or 0)
    agg.talk_sum += int(talk or 0)
    agg.hist[int(bucket)] += n


def _company_sums(conn, scope: Scope, start, end) -> dict[str, Sums]:
    """Rollups for whole months and days, raw rows for the edges (store.rollups.cover)."""
    segments = []
    for sign, level, a, b in cover(start, end):
        segments += _raw_segments(scope, a, b, sign) if level == "raw" else [_rollup_segment(scope, level, a, b, sign)]
    return _sums(conn, segments) if segments else {}


def _company_by_hour(conn, scope: Scope, start, end, zone: ZoneInfo) -> list[HourStats]:
    first, last = hour_of(start), hour_of(end)
    first = first if first == start else first + dt.timedelta(hours=1)
    if first >= last:
        return _raw_by_hour(conn, scope, start, end, zone)
    hours = [[0, 0] for _ in range(24)]
    r = call_rollups.c
    stmt = select(r.period, func.sum(r.answered), func.sum(r.missed)).where(
        r.level == "h", r.party == CALLS, r.period >= first, r.period < last)
    if not scope.internal:
        stmt = stmt.where(r.external.is_(True))
    for period, answered, missed in conn.execute(stmt.group_by(r.period)):
        local = period.astimezone(zone).hour
        hours[local][0] += int(answered or 0)
        hours[local][1] += int(missed or 0)
    for a, b in ((start, first), (last, end)):
        if a < b:
            for h in _raw_by_hour(conn, scope, a, b, zone):
                hours[h.hour][0] += h.answered
                hours[h.hour][1] += h.missed
    return [HourStats(h, a, m) for h, (a, m) in enumerate(hours)]


# --------------------------------------------------------------------------- by hour, raw

def _bucket(conn) -> ColumnElement:
    """The call's start in quarter hours since the epoch (UTC)."""
    if conn.dialect.name == "sqlite":
        return cast(func.strftime("%s", calls.c.started), Integer) // BUCKET
    return cast(func.floor(func.extract("epoch", calls.c.started) / BUCKET), Integer)


def _raw_by_hour(conn, scope: Scope, start, end, zone: ZoneInfo) -> list[HourStats]:
    bucket = _bucket(conn).label("bucket")
    answered = (calls.c.result == "answered").label("answered")
    rows = conn.execute(select(bucket, answered, func.count()).where(_received_where(scope, start, end))
                        .group_by(bucket, answered)).all()
    hours = [[0, 0] for _ in range(24)]
    for quarter, was_answered, n in rows:
        local = dt.datetime.fromtimestamp(int(quarter) * BUCKET, dt.timezone.utc).astimezone(zone)
        hours[local.hour][0 if was_answered else 1] += n
    return [HourStats(h, a, m) for h, (a, m) in enumerate(hours)]


# --------------------------------------------------------------------------- not called back

def _not_called_back(conn, scope: Scope, start, end) -> tuple[list[UncalledNumber], int]:
    """Missed external numbers of the period without a later callback in the scope.

    For the whole company every callback is in scope, so the flag kept on the
    missed call (store/callbacks.py) answers; a narrower scope asks whether one of
    its own calls called back.
    """
    missed = calls.alias("missed")
    m = missed.c
    where = [scope_clause(scope, missed, start, end), m.started >= start, m.started < end,
             text(UNCALLED_WHERE[conn.dialect.name])]          # missed, external, not called back (an index)
    if scope.kind != COMPANY:
        later = calls.alias("later")
        where.append(~later_callback(missed, later).where(scope_clause(scope, later, start)))
    per_number = (select(m.caller_key.label("key"), func.count().label("n"), func.max(m.started).label("last"),
                         func.count().over().label("total"))
                  .where(*where).group_by(m.caller_key).order_by(func.max(m.started).desc())
                  .limit(NOT_CALLED_BACK_LIMIT).subquery())
    last = calls.alias("last")
    newest = conn.execute(
        select(last.c.caller, last.c.caller_name, per_number.c.n, last.c.started, last.c.uuid, per_number.c.total)
        .join_from(per_number, last, and_(last.c.caller_key == per_number.c.key,
                                          last.c.started == per_number.c.last))
        .order_by(per_number.c.last.desc(), last.c.id.desc())).all()
    total = newest[0].total if newest else 0
    out, seen = [], set()
    for caller, name, n, at, uuid, _ in newest:
        if (caller, at) not in seen:
            seen.add((caller, at))
            out.append(UncalledNumber(caller, name, n, at, uuid))
    return out, total
