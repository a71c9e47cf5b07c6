"""A small company and its calls, with who may see each call worked out by hand (issue 10).

Shared by tests/web/test_access.py and the store's history tests.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional, Sequence

from config.models import ConfigFile
from config.snapshot import Snapshot
from store.records import CallRecord, LegRecord, StepRecord

T0 = dt.datetime(2024, 3, 4, 9, 0, tzinfo=dt.timezone.utc)       # 12:00 in Moscow

EMPLOYEES = [
    # login, extension, role, scope, department, extra
    ("boss", "201", "admin", "department", None, {}),
    ("ivan", "202", "department_head", "department", "Продажи", {}),
    ("petr", "203", "user", "department", "Продажи", {}),
    ("olga", "204", "user", "department", "Поддержка", {}),
    ("maria", "205", "restricted_user", "department", "Поддержка", {"can_download_history": False}),
    ("nina", "206", "restricted_user", "department", "Поддержка", {"can_listen_recordings": False}),
    ("hc", "208", "department_head", "company", "Поддержка", {}),
    ("pc", "209", "user", "company", "Поддержка", {"can_download_history": False}),
    ("loner", "210", "user", "department", None, {}),
]
DEPARTMENTS = [("Продажи", "300", ("ivan", "petr")), ("Поддержка", "301", ("olga", "maria", "nina"))]


def company() -> Snapshot:
    file = ConfigFile.model_validate({
        "company": {"name": "ООО Ромашка", "domain": "pbx.example.com"},
        "employees": [{"name": login.title(), "login": login, "extension": ext, "role": role, "scope": scope,
                       "department": dep, **extra} for login, ext, role, scope, dep, extra in EMPLOYEES],
        "departments": [{"name": name, "extension": ext, "members": list(members)}
                        for name, ext, members in DEPARTMENTS],
    })
    return Snapshot.build(file)


def step(target: str, rung: Sequence[str] = (), answered_by: str = "", at: Optional[dt.datetime] = None,
         seconds: int = 10, disposition: str = "") -> StepRecord:
    return StepRecord("ring", target, "direct", started=at, ended=at + dt.timedelta(seconds=seconds) if at else None,
                      disposition=disposition or ("SUCCESS" if answered_by else "NO_ANSWER"), answered_by=answered_by,
                      legs=[LegRecord("office", login, f"user/{login}@pbx.example.com", 0, 20) for login in rung])


def call(uuid: str, minute: int, *, caller: str = "+74951234567", called: str = "+74957654321",
         direction: str = "inbound", steps=(), outcome: Optional[str] = None, talk: int = 60) -> CallRecord:
    """A call whose steps are (target, rung logins, answered_by) in order, 10 s each."""
    started = T0 + dt.timedelta(minutes=minute)
    built, at = [], started
    for target, rung, answered_by in steps:
        built.append(step(target, rung, answered_by, at))
        at += dt.timedelta(seconds=10)
    answered_by = next((s.answered_by for s in built if s.answered_by), "")
    answered = at if answered_by else None
    return CallRecord(uuid=uuid, started=started, caller=caller, caller_name="Клиент", called=called,
                      direction=direction, target=built[0].target if built else "", reason="working",
                      outcome=outcome or ("answered" if answered_by else "busy"), answered=answered,
                      ended=(answered + dt.timedelta(seconds=talk)) if answered else at, answered_by=answered_by,
                      hangup_cause="NORMAL_CLEARING", node="a", steps=built)


CALLS = [
    call("ext-sales", 0, steps=[("department:Продажи", ("ivan", "petr"), "petr")]),
    call("ext-olga", 1, steps=[("employee:olga", ("olga",), "olga")]),
    call("int-petr-olga", 2, caller="203", called="204", direction="internal",
         steps=[("employee:olga", ("olga",), "olga")]),
    call("ext-support-then-sales", 3, caller="+74951110000",
         steps=[("department:Поддержка", ("olga", "maria"), ""), ("department:Продажи", ("ivan", "petr"), "ivan")]),
    call("ext-support-maria-rung", 4, steps=[("department:Поддержка", ("olga", "maria"), "olga")]),
    call("int-boss-ivan", 5, caller="201", called="202", direction="internal",
         steps=[("employee:ivan", ("ivan",), "ivan")]),
    call("out-maria", 6, caller="205", called="+74959998877", direction="outbound", steps=[]),
    call("ext-missed-petr", 7, caller="+79160000001", steps=[("employee:petr", ("petr",), "")], outcome="voicemail"),
]

EVERY = {c.uuid for c in CALLS}
EXTERNAL = {c.uuid for c in CALLS if c.direction != "internal"}
# Who sees which call, by the table (worked out by hand, not by the code under test).
SEES = {
    "boss": EVERY,
    "ivan": {"ext-sales", "int-petr-olga", "ext-support-then-sales", "int-boss-ivan", "ext-missed-petr"},
    "hc": EVERY,
    "petr": {"ext-sales", "ext-support-then-sales", "ext-missed-petr"},
    "pc": EXTERNAL,
    "olga": {"ext-olga", "ext-support-then-sales", "ext-support-maria-rung", "out-maria"},
    "maria": {"ext-support-then-sales", "ext-support-maria-rung", "out-maria"},
    "nina": set(),
    "loner": set(),
}


def view_of(record: CallRecord, snapshot: Snapshot):
    """The call as the scope rule reads it, straight from the record (independent of the store)."""
    from config.access import CallView
    by_extension = {e.extension: e.login for e in snapshot.file.employees}
    caller_login = "" if record.direction == "inbound" else \
        by_extension.get(record.caller, record.caller if record.caller in snapshot.by_login else "")
    targets = [s.target for s in record.steps] or [record.target]
    return CallView(
        internal=record.direction == "internal",
        departments=frozenset(t.split(":", 1)[1] for t in targets if t.startswith("department:")),
        addressed=frozenset(t.split(":", 1)[1] for t in targets if t.startswith("employee:")),
        answered_by=record.answered_by, caller_login=caller_login,
        rung=frozenset(leg.login for s in record.steps for leg in s.legs))
