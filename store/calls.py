"""Call records in the database: one `calls` row per call, its path in steps and legs.

Writing is idempotent by call UUID: a record replayed from the spool after an
outage, or submitted twice, is written once. Rows are inserted in the order
given, so `calls.id` follows the order the daemon finished the calls.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from store import callbacks, dialect, history_facts, rollups
from store.records import CallRecord, LegRecord, StepRecord
from store.tables import call_legs, call_parties, call_steps, calls, employees

CALL_FIELDS = ("uuid", "started", "answered", "ended", "caller", "caller_name", "called", "direction", "target",
               "reason", "outcome", "answered_by", "hangup_cause", "recording", "node",
               "recording_state", "recording_ms", "recording_expires")
STEP_FIELDS = ("action", "target", "reason", "started", "ended", "disposition", "answered_by")
LEG_FIELDS = ("device", "login", "dial", "delay", "timeout")
IN_CHUNK = 500          # ids per IN (...) list when loading paths


def insert_records(conn: Connection, records: Sequence[CallRecord]) -> list[str]:
    """Write the records not already there; return the UUIDs actually inserted, in order."""
    fresh = _unique(records)
    if not fresh:
        return []
    present = set(conn.scalars(select(calls.c.uuid).where(calls.c.uuid.in_([r.uuid for r in fresh]))))
    fresh = [r for r in fresh if r.uuid not in present]
    if not fresh:
        return []
    stmt = dialect.insert(conn, calls).on_conflict_do_nothing(index_elements=["uuid"]).returning(
        calls.c.id, calls.c.uuid)
    callers = caller_logins(conn, fresh)
    rows = {r.uuid: _call_row(r, callers.get(r.caller, "")) for r in fresh}
    ids = dict((uuid, id_) for id_, uuid in conn.execute(stmt, list(rows.values())))
    inserted = [r for r in fresh if r.uuid in ids]
    inserted_rows = [rows[r.uuid] for r in inserted]
    _insert_paths(conn, [(ids[r.uuid], r) for r in inserted])
    parties = _insert_parties(conn, [(ids[r.uuid], r, rows[r.uuid]["caller_login"]) for r in inserted])
    rollups.add(conn, rollups.rows_for(inserted_rows, parties))
    callbacks.mark(conn, inserted_rows)
    return [r.uuid for r in inserted]


def caller_logins(conn: Connection, records: Sequence[CallRecord]) -> dict[str, str]:
    """Caller ID -> the login of the employee it is (their extension or login), from the
    directory mirror; external callers are not in it."""
    numbers = {r.caller for r in records if r.caller and r.direction != "inbound"}
    if not numbers:
        return {}
    found: dict[str, str] = {}
    for login, extension in conn.execute(select(employees.c.login, employees.c.extension).where(
            or_(employees.c.extension.in_(numbers), employees.c.login.in_(numbers)))
            .order_by(employees.c.active)):          # an active employee's number wins
        for key in (login, extension):
            if key in numbers:
                found[key] = login
    return found


def _insert_parties(conn: Connection, rows: list[tuple[int, CallRecord, str]]) -> list[dict]:
    party_rows = [row for call_id, r, caller in rows for row in history_facts.party_rows(call_id, r, caller)]
    if party_rows:
        conn.execute(call_parties.insert(), party_rows)
    return party_rows


def _unique(records: Iterable[CallRecord]) -> list[CallRecord]:
    seen: set[str] = set()
    out = []
    for r in records:
        if r.uuid not in seen:
            seen.add(r.uuid)
            out.append(r)
    return out


def _call_row(r: CallRecord, caller_login: str = "") -> dict:
    return {**{name: getattr(r, name) for name in CALL_FIELDS}, **history_facts.call_columns(r, caller_login)}


def _insert_paths(conn: Connection, calls_with_ids: list[tuple[int, CallRecord]]) -> None:
    step_rows = [{"call_id": call_id, "seq": seq, **{n: getattr(s, n) for n in STEP_FIELDS}}
                 for call_id, r in calls_with_ids for seq, s in enumerate(r.steps)]
    if not step_rows:
        return
    stmt = call_steps.insert().returning(call_steps.c.id, call_steps.c.call_id, call_steps.c.seq)
    step_ids = {(call_id, seq): id_ for id_, call_id, seq in conn.execute(stmt, step_rows)}
    leg_rows = [{"step_id": step_ids[(call_id, seq)], "seq": n, **{f: getattr(leg, f) for f in LEG_FIELDS}}
                for call_id, r in calls_with_ids for seq, s in enumerate(r.steps) for n, leg in enumerate(s.legs)]
    if leg_rows:
        conn.execute(call_legs.insert(), leg_rows)


# --------------------------------------------------------------------------- reading

@dataclass(frozen=True)
class HistoryQuery:
    """Which calls `callrouter history` shows; times are aware, `until` exclusive.

    `employee` matches calls to that login, answered by it, or placed from one of
    `employee_numbers` (its login and extension as caller ID).
    """
    since: Optional[dt.datetime] = None
    until: Optional[dt.datetime] = None
    employee: Optional[str] = None
    employee_numbers: tuple[str, ...] = ()
    department: Optional[str] = None
    limit: Optional[int] = None
    newest_first: bool = False


def history(conn: Connection, query: HistoryQuery) -> list[CallRecord]:
    rows = conn.execute(_history_select(query)).mappings().all()
    records = {row["id"]: _record(row) for row in rows}
    _load_paths(conn, records)
    return list(records.values())


def _history_select(q: HistoryQuery):
    stmt = select(calls)
    if q.since is not None:
        stmt = stmt.where(calls.c.started >= q.since)
    if q.until is not None:
        stmt = stmt.where(calls.c.started < q.until)
    if q.employee is not None:
        stmt = stmt.where(or_(calls.c.target == f"employee:{q.employee}", calls.c.answered_by == q.employee,
                              calls.c.caller.in_(q.employee_numbers or (q.employee,))))
    if q.department is not None:
        stmt = stmt.where(calls.c.target == f"department:{q.department}")
    order = (calls.c.started.desc(), calls.c.id.desc()) if q.newest_first else (calls.c.started, calls.c.id)
    stmt = stmt.order_by(*order)
    return stmt.limit(q.limit) if q.limit is not None else stmt


def _record(row) -> CallRecord:
    return CallRecord(**{name: row[name] for name in CALL_FIELDS if name in row})   # a migration reads older rows


def _load_paths(conn: Connection, records: dict[int, CallRecord]) -> None:
    ids = list(records)
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start:start + IN_CHUNK]
        steps: dict[int, StepRecord] = {}
        for row in conn.execute(select(call_steps).where(call_steps.c.call_id.in_(chunk))
                                .order_by(call_steps.c.call_id, call_steps.c.seq)).mappings():
            step = StepRecord(**{n: row[n] for n in STEP_FIELDS})
            records[row["call_id"]].steps.append(step)
            steps[row["id"]] = step
        if not steps:
            continue
        for row in conn.execute(select(call_legs).where(call_legs.c.step_id.in_(list(steps)))
                                .order_by(call_legs.c.step_id, call_legs.c.seq)).mappings():
            steps[row["step_id"]].legs.append(LegRecord(**{n: row[n] for n in LEG_FIELDS}))
