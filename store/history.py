"""History queries of «Личный кабинет»: the list, a call's detail, counts.

Every query goes through `store.scope.scope_clause`; a call outside the viewer's
scope is simply not found (the web answers 404, never 403). Statistics are in
`store.stats`, the CSV export in `store.export`.

The list is newest first with keyset pagination: the cursor is an opaque string
holding the last row's (started, id), so page N costs what page 1 costs.
"""
from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, field
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, tuple_
from sqlalchemy.sql.elements import ColumnElement

from config.access import COMPANY, Scope
from store import recordings
from store.history_facts import NOT_ANSWERED, RESULTS, search_key
from store.scope import calls_of, calls_of_employee, scope_calls, scope_clause
from store.tables import call_legs, call_parties, call_steps, calls

DIRECTIONS = ("internal", "inbound", "outbound")
NOT_ANSWERED_FILTER = "not_answered"        # outcome filter: every call nobody took
OUTCOME_FILTERS = RESULTS + (NOT_ANSWERED_FILTER,)
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class FilterError(ValueError):
    """A filter value the viewer may not use or that means nothing (the web answers 400)."""


@dataclass(frozen=True)
class CallFilter:
    """What the viewer asked for, on top of their scope. Times are aware; `end` is exclusive.

    `employee`: that person's calls ("my call" for them). `department`: the calls of
    that department; `department_members` are its members (`access.members_of`).
    `number`: digits in any spelling; matches a caller or dialled number ending with them.
    """
    start: Optional[dt.datetime] = None
    end: Optional[dt.datetime] = None
    direction: Optional[str] = None
    outcome: Optional[str] = None
    number: Optional[str] = None
    employee: Optional[str] = None
    department: Optional[str] = None
    department_members: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class CallRow:
    uuid: str
    started_at: dt.datetime                 # aware UTC; `as_dict(zone)` shows it in the viewer's zone
    direction: str
    caller: str
    caller_name: str
    called: str
    target: str
    answered_by: str
    outcome: str
    wait_seconds: int
    talk_seconds: int
    # issue 11: a good recording is kept; shown (as `has_recording`) only to those who may listen
    recorded: bool = field(default=False, repr=False)

    def as_dict(self, zone: Optional[ZoneInfo] = None) -> dict:
        d = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "recorded"}
        d["started_at"] = (self.started_at.astimezone(zone) if zone else self.started_at).isoformat()
        return d


@dataclass(frozen=True)
class LegView:
    device: str                     # office | mobile
    login: str
    dial: str
    delay: int                      # seconds after the step started that it began to ring
    timeout: int                    # seconds it rang at most
    starts_at: Optional[dt.datetime]


@dataclass(frozen=True)
class StepView:
    action: str                     # ring | announce | voicemail | message | hangup
    target: str
    reason: str                     # why the call came to this step (direct, no_answer, off_hours …)
    started_at: Optional[dt.datetime]
    ended_at: Optional[dt.datetime]
    disposition: str                # FreeSWITCH's originate_disposition
    ended_because: str              # answered | no_answer | busy | unregistered | caller_hung_up | unknown | …
    answered_by: str
    legs: tuple[LegView, ...]


@dataclass(frozen=True)
class CallDetail:
    call: CallRow
    answered_at: Optional[dt.datetime]
    ended_at: Optional[dt.datetime]
    reason: str
    hangup_cause: str
    recording: Optional[str]
    node: str
    path: tuple[StepView, ...]
    recording_state: str = ""       # issue 11: "" (not recorded), ok, failed, empty, pruned


# --------------------------------------------------------------------------- the WHERE

def filter_clause(scope: Scope, f: CallFilter, c=calls, parties: bool = True) -> ColumnElement:
    """Scope and filter together; a filter the scope does not offer raises FilterError.
    (`parties=False`: the query is joined to `scope_calls` already.)"""
    conditions = [scope_clause(scope, c, parties=parties)]
    if f.start is not None:
        conditions.append(c.c.started >= _aware(f.start))
    if f.end is not None:
        conditions.append(c.c.started < _aware(f.end))
    if f.direction:
        if f.direction not in DIRECTIONS:
            raise FilterError(f"direction is one of {', '.join(DIRECTIONS)}, not {f.direction!r}")
        conditions.append(c.c.direction == f.direction)
    if f.outcome:
        conditions.append(_outcome(f.outcome, c))
    if f.number:
        conditions.append(_number(f.number, c))
    if f.employee:
        if not scope.allows_employee(f.employee):
            raise FilterError(f"no employee {f.employee!r} among the calls you can see")
        conditions.append(c.c.id.in_(calls_of_employee(f.employee)))
    if f.department:
        if not scope.allows_department(f.department):
            raise FilterError(f"no department {f.department!r} among the calls you can see")
        conditions.append(c.c.id.in_(calls_of({f.department}, f.department_members)))
    return and_(*conditions)


def _aware(when: dt.datetime) -> dt.datetime:
    if when.tzinfo is None:
        raise FilterError(f"naive datetime {when!r}: give a time zone")
    return when


def _outcome(outcome: str, c) -> ColumnElement:
    if outcome == NOT_ANSWERED_FILTER:
        return c.c.result.in_(NOT_ANSWERED)
    if outcome not in RESULTS:
        raise FilterError(f"outcome is one of {', '.join(OUTCOME_FILTERS)}, not {outcome!r}")
    return c.c.result == outcome


def _number(text: str, c) -> ColumnElement:
    key = search_key(text)
    if key is None:
        raise FilterError(f"a number search needs digits, not {text!r}")
    upper = key[:-1] + chr(ord(key[-1]) + 1)
    return or_(and_(c.c.caller_key >= key, c.c.caller_key < upper),
               and_(c.c.called_key >= key, c.c.called_key < upper))


# --------------------------------------------------------------------------- cursors

def encode_cursor(started: dt.datetime, id_: int) -> str:
    raw = f"{started.astimezone(dt.timezone.utc).isoformat()}|{id_}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, id_ = raw.split("|")
        started = dt.datetime.fromisoformat(when)
        if started.tzinfo is None:
            raise ValueError
        return started, int(id_)
    except (ValueError, UnicodeDecodeError):
        raise FilterError("this page link is not valid any more: start from the first page") from None


# --------------------------------------------------------------------------- queries

ROW_COLUMNS = (calls.c.id, calls.c.uuid, calls.c.started, calls.c.direction, calls.c.caller, calls.c.caller_name,
               calls.c.called, calls.c.target, calls.c.answered_by, calls.c.result, calls.c.wait, calls.c.talk,
               calls.c.recording_state)


def _row(r) -> CallRow:
    return CallRow(uuid=r.uuid, started_at=r.started, direction=r.direction, caller=r.caller,
                   caller_name=r.caller_name, called=r.called, target=r.target, answered_by=r.answered_by,
                   outcome=r.result, wait_seconds=r.wait, talk_seconds=r.talk,
                   recorded=r.recording_state == recordings.OK)


def is_narrow(scope: Scope, f: CallFilter) -> bool:
    """A department's or one person's calls, or a search: a small share of the table."""
    return scope.kind != COMPANY or bool(f.number or f.employee or f.department)


def select_calls(scope: Scope, f: CallFilter, cursor: Optional[str] = None):
    """The list's SELECT, newest first (the export streams the same one).

    A department's or one person's list starts from its calls in the party index,
    which holds their start times: sorted there, the newest are joined to `calls`
    until a page is full, so a page reads about a page of `calls` rows. (Left to
    itself PostgreSQL walked `calls` backwards by `started` hoping to meet 50 of a
    department's calls soon: 0.8 s on 1,000,000 calls.) A search is ordered by
    `coalesce(started, started)`, the same value but no index's order, so that the
    few matches are found through the number index and sorted.
    """
    after = decode_cursor(cursor) if cursor else None
    ids = scope_calls(scope)
    if ids is not None:
        if after is not None:
            ids = ids.where(tuple_(call_parties.c.started, call_parties.c.call_id) < tuple_(*after))
        ids = ids.distinct().order_by(call_parties.c.started.desc(), call_parties.c.call_id.desc()) \
            .subquery("scope_calls")                       # sorted here, joined in that order
        return (select(*ROW_COLUMNS).select_from(ids.join(calls, calls.c.id == ids.c.call_id))
                .where(filter_clause(scope, f, parties=False))
                .order_by(ids.c.started.desc(), ids.c.call_id.desc()))
    stmt = select(*ROW_COLUMNS).where(filter_clause(scope, f))
    if after is not None:
        stmt = stmt.where(tuple_(calls.c.started, calls.c.id) < tuple_(*after))
    started = func.coalesce(calls.c.started, calls.c.started) if is_narrow(scope, f) else calls.c.started
    return stmt.order_by(started.desc(), calls.c.id.desc())


def list_calls(store, scope: Scope, f: CallFilter = CallFilter(), limit: int = DEFAULT_LIMIT,
               cursor: Optional[str] = None) -> tuple[list[CallRow], Optional[str]]:
    """One page of the calls `scope` sees, newest first, and the cursor of the next page (or None)."""
    return _page(store, scope, f, max(1, min(int(limit), MAX_LIMIT)), cursor)


def count_calls(store, scope: Scope, f: CallFilter = CallFilter()) -> int:
    with store._read() as conn:
        return conn.execute(select(func.count()).select_from(calls).where(filter_clause(scope, f))).scalar_one()


def iter_calls(store, scope: Scope, f: CallFilter = CallFilter(), batch: int = 1000):
    """Every call of the filtered list, newest first, fetched page by page (for exports)."""
    cursor = None
    while True:
        rows, cursor = _page(store, scope, f, batch, cursor)
        yield from rows
        if cursor is None:
            return


def _page(store, scope: Scope, f: CallFilter, limit: int, cursor: Optional[str]):
    stmt = select_calls(scope, f, cursor).limit(limit + 1)
    with store._read() as conn:
        rows = conn.execute(stmt).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [_row(r) for r in rows], (encode_cursor(rows[-1].started, rows[-1].id) if more else None)


# --------------------------------------------------------------------------- detail

ENDED_BECAUSE = {"SUCCESS": "answered", "NO_ANSWER": "no_answer", "ALLOTTED_TIMEOUT": "no_answer",
                 "NO_USER_RESPONSE": "no_answer", "USER_BUSY": "busy", "CALL_REJECTED": "rejected",
                 "USER_NOT_REGISTERED": "unregistered", "SUBSCRIBER_ABSENT": "unregistered",
                 "ORIGINATOR_CANCEL": "caller_hung_up", "NORMAL_CLEARING": "ended"}


def ended_because(action: str, disposition: str, answered_by: str, call_result: str) -> str:
    """Why a step ended, in a word the page translates (FreeSWITCH's causes folded).

    A ring step without a disposition ended before its bridge's answer came: the caller
    hung up (an `abandoned` call), or the daemon lost the call's event socket and nobody
    could say (`unknown`)."""
    if answered_by:
        return "answered"
    if action != "ring":
        return "played" if action in ("announce", "message", "voicemail") else action
    if not disposition:
        return "caller_hung_up" if call_result == "abandoned" else "unknown"
    return ENDED_BECAUSE.get(disposition, "failed")


def call_detail(store, scope: Scope, uuid: str) -> Optional[CallDetail]:
    """The call and the path it took; None when it does not exist or is outside the scope."""
    stmt = select(*ROW_COLUMNS, calls.c.answered, calls.c.ended, calls.c.reason, calls.c.hangup_cause,
                  calls.c.recording, calls.c.node).where(calls.c.uuid == uuid, scope_clause(scope))
    with store._read() as conn:
        r = conn.execute(stmt).first()
        if r is None:
            return None
        steps = conn.execute(select(call_steps).where(call_steps.c.call_id == r.id)
                             .order_by(call_steps.c.seq)).mappings().all()
        legs: dict[int, list] = {}
        if steps:
            for leg in conn.execute(select(call_legs).where(call_legs.c.step_id.in_([s["id"] for s in steps]))
                                    .order_by(call_legs.c.step_id, call_legs.c.seq)).mappings():
                legs.setdefault(leg["step_id"], []).append(leg)
    path = tuple(_step(s, legs.get(s["id"], []), r.result) for s in steps)
    return CallDetail(_row(r), r.answered, r.ended, r.reason, r.hangup_cause, r.recording, r.node, path,
                      r.recording_state)


def _step(s, legs, call_result: str) -> StepView:
    started = s["started"]
    return StepView(
        action=s["action"], target=s["target"], reason=s["reason"], started_at=started, ended_at=s["ended"],
        disposition=s["disposition"],
        ended_because=ended_because(s["action"], s["disposition"], s["answered_by"], call_result),
        answered_by=s["answered_by"],
        legs=tuple(LegView(leg["device"], leg["login"], leg["dial"], leg["delay"], leg["timeout"],
                           started + dt.timedelta(seconds=leg["delay"]) if started else None) for leg in legs))
