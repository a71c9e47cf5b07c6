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
out when a record is written (`call_parties`), so a month is a range scan and a
GROUP BY, not a walk through every call's path.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, case, cast, exists, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from daemon.web.access import COMPANY, DEPARTMENTS, Scope
from store.history_facts import DEPARTMENT, EMPLOYEE, NOT_ANSWERED
from store.scope import calls_of, party_clause, scope_clause
from store.tables import call_parties, calls

BUCKET = 900                # seconds: quarter hours map to local hours exactly in every real time zone
NOT_CALLED_BACK_LIMIT = 100


@dataclass(frozen=True)
class GroupStats:
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
    with store.engine.connect() as conn:
        groups = _groups(conn, scope, start, end)
        totals = _totals(conn, scope, start, end)
        by_hour = _by_hour(conn, scope, start, end, zone)
        uncalled, uncalled_total = _not_called_back(conn, scope, start, end)
    departments = [g for key, g in groups if key.startswith(DEPARTMENT)]
    employees = [g for key, g in groups if key.startswith(EMPLOYEE)]
    return Stats(start, end, totals, departments, employees, by_hour, uncalled, uncalled_total)


# --------------------------------------------------------------------------- per party

def _party_where(scope: Scope, start: dt.datetime, end: dt.datetime) -> ColumnElement:
    p = call_parties.c
    conditions = [p.started >= start, p.started < end, or_(p.answered.is_(True), p.missed.is_(True)),
                  party_clause(scope)]
    if not scope.internal:
        conditions.append(p.external.is_(True))
    if scope.kind == DEPARTMENTS:
        conditions.append(p.call_id.in_(calls_of(scope.departments, scope.logins)))
    return and_(*conditions)


def _flag(column) -> ColumnElement:
    return func.sum(case((column.is_(True), 1), else_=0))


def _groups(conn, scope: Scope, start, end) -> list[tuple[str, GroupStats]]:
    p = call_parties.c
    where = _party_where(scope, start, end)
    rows = conn.execute(select(p.party, func.count(), _flag(p.answered), _flag(p.missed), func.avg(p.wait),
                               func.sum(p.talk)).where(where).group_by(p.party)).all()
    p90 = dict(conn.execute(_p90(select(p.party.label("key"), p.wait.label("wait")).where(where))).all())
    out = []
    for party, received, answered, missed, wait_avg, talk_sum in rows:
        out.append((party, _group(party[2:], received, answered or 0, missed or 0, wait_avg, talk_sum,
                                  p90.get(party))))
    out.sort(key=lambda kg: kg[0])
    return out


def _group(key, received, answered, missed, wait_avg, talk_sum, p90) -> GroupStats:
    return GroupStats(key=key, received=received, answered=answered, missed=missed,
                      answer_rate=answered / received if received else None,
                      wait_avg=float(wait_avg) if wait_avg is not None else None,
                      wait_p90=int(p90) if p90 is not None else None,
                      talk_avg=float(talk_sum or 0) / answered if answered else None)


def _p90(source):
    """(key, wait) rows -> (key, 90th percentile of wait) per key, on both databases.

    percentile_disc(0.9): the first value whose rank reaches 90 % of the group, i.e.
    row number ceil(0.9 n) = (9 n + 9) // 10 in wait order. SQLite has no percentile
    function; window functions it has.
    """
    inner = source.subquery()
    ranked = select(inner.c.key, inner.c.wait,
                    func.row_number().over(partition_by=inner.c.key, order_by=inner.c.wait).label("rn"),
                    func.count().over(partition_by=inner.c.key).label("n")).subquery()
    return select(ranked.c.key, ranked.c.wait).where(ranked.c.rn == (ranked.c.n * 9 + 9) // 10)


# --------------------------------------------------------------------------- per call

def _received_where(scope: Scope, start, end) -> ColumnElement:
    return and_(scope_clause(scope), calls.c.started >= start, calls.c.started < end,
                calls.c.direction != "outbound", calls.c.result.in_(("answered",) + NOT_ANSWERED))


def _totals(conn, scope: Scope, start, end) -> GroupStats:
    c = calls.c
    where = _received_where(scope, start, end)
    answered = c.result == "answered"
    received, n_answered, wait_avg, talk_sum = conn.execute(
        select(func.count(), func.sum(case((answered, 1), else_=0)), func.avg(c.wait),
               func.sum(case((answered, c.talk), else_=0))).where(where)).one()
    p90 = conn.execute(_p90(select(literal("").label("key"), c.wait.label("wait"))
                            .where(where))).first()
    n_answered = n_answered or 0
    return _group("", received, n_answered, received - n_answered, wait_avg, talk_sum, p90[1] if p90 else None)


def _bucket(conn) -> ColumnElement:
    """The call's start in quarter hours since the epoch (UTC)."""
    if conn.dialect.name == "sqlite":
        return cast(func.strftime("%s", calls.c.started), Integer) // BUCKET
    return cast(func.floor(func.extract("epoch", calls.c.started) / BUCKET), Integer)


def _by_hour(conn, scope: Scope, start, end, zone: ZoneInfo) -> list[HourStats]:
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
    missed = calls.alias("missed")
    later = calls.alias("later")
    m, l = missed.c, later.c
    called_back = exists().where(
        l.started > m.started, scope_clause(scope, later),
        or_(and_(l.direction == "outbound", l.called_key == m.caller_key),
            and_(l.direction == "inbound", l.caller_key == m.caller_key, l.result == "answered")))
    where = and_(scope_clause(scope, missed), m.started >= start, m.started < end, m.direction == "inbound",
                 m.caller_key != "", m.result.in_(NOT_ANSWERED), ~called_back)
    per_number = (select(m.caller_key, func.count().label("n"), func.max(m.started).label("last"))
                  .where(where).group_by(m.caller_key).subquery())
    total = conn.execute(select(func.count()).select_from(per_number)).scalar_one()
    newest = conn.execute(select(per_number).order_by(per_number.c.last.desc())
                          .limit(NOT_CALLED_BACK_LIMIT)).all()
    out = []
    for key, n, last in newest:
        r = conn.execute(select(calls.c.caller, calls.c.caller_name, calls.c.uuid, calls.c.started)
                         .where(calls.c.caller_key == key, calls.c.started == last)).first()
        out.append(UncalledNumber(r.caller, r.caller_name, n, r.started, r.uuid))
    return out, total
