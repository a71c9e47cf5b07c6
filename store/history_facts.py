"""What history, statistics and the scope rule need of a call record, worked out when it is written.

Pure functions of a `CallRecord` (and the login of the employee who placed it):
- number keys: the number's digits reversed, E.164 when phonenumbers reads it as a
  valid number of the company's country (`8 (495) 123-45-67`, `+7495…` and
  `7495…` all give the same key), else the digits as dialled (extensions). A search
  for digits is then a prefix range on the key, i.e. "the number ends with these
  digits", which an index answers;
- the outcome as people read it (`result`): answered, missed, voicemail, busy,
  abandoned, and the daemon's own failed / unknown_number / feature;
- wait (start → answer, or → end when nobody answered) and talk seconds;
- the parties: one row per employee (`e:LOGIN`) and department (`d:NAME`) the call
  concerns, each with whether it was a conversation or a miss *for that party*.

Per-party rule (the provider's, issue 10): a department a step rang ("distributed
to D") answered the call when someone answered in one of D's steps; otherwise the
call is missed for D, even when a later forward was answered elsewhere. An employee
answered it when they did; it is missed for them when a step that rang them (as
themselves or for a department) ended without a conversation; when a colleague
took it in that same step it is neither (it was never theirs to take). The caller
of an internal call is a party that received nothing.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Optional

from config.models import e164
from store.records import CallRecord, StepRecord

EMPLOYEE = "e:"
DEPARTMENT = "d:"
RESULTS = ("answered", "missed", "voicemail", "busy", "abandoned", "failed", "unknown_number", "feature")
NOT_ANSWERED = ("missed", "voicemail", "busy", "abandoned")     # a call someone should have taken
KEY_LENGTH = 32


@functools.lru_cache(maxsize=65536)
def number_digits(number: str) -> str:
    """The digits of `number` in E.164 (without +) when the config's normaliser reads it as
    valid (the company's region), else as written."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) < 7:             # extensions and short codes: as dialled
        return digits
    try:
        return e164(number if number.strip().startswith("+") else digits)[1:]
    except ValueError:
        return digits


def number_key(number: str) -> str:
    """The stored search key: the digits reversed (a suffix search becomes an index prefix range)."""
    return number_digits(number)[::-1][:KEY_LENGTH]


def search_key(text: str) -> Optional[str]:
    """The key prefix that a search for `text` looks for; None when it holds no digit."""
    key = number_key(text)
    return key or None


def result_of(record: CallRecord) -> str:
    """The outcome people read: the daemon's `busy` (it hung up on the caller) is `busy`
    only when the last phone rung was busy, else `missed`; an autoresponder is `missed`."""
    outcome = record.outcome
    if outcome in ("answered", "voicemail", "abandoned", "failed", "unknown_number", "feature"):
        return outcome
    if outcome == "busy":
        rings = [s for s in record.steps if s.action == "ring"]
        return "busy" if rings and rings[-1].disposition == "USER_BUSY" else "missed"
    return "answered" if record.answered_by else "missed"


def _seconds(start: Optional[dt.datetime], end: Optional[dt.datetime]) -> int:
    return max(0, round((end - start).total_seconds())) if start and end else 0


def wait_seconds(record: CallRecord) -> int:
    return _seconds(record.started, record.answered or record.ended)


def talk_seconds(record: CallRecord) -> int:
    """A conversation with a person: voicemail and a message answer the caller's channel too,
    but nobody talked, so they count no talk time."""
    return _seconds(record.answered, record.ended) if record.answered and record.answered_by else 0


@dataclass
class Party:
    rung_only: bool = True
    answered: bool = False
    missed: bool = False


def _name(target: str, kind: str) -> str:
    prefix = "employee:" if kind == EMPLOYEE else "department:"
    return target[len(prefix):] if target.startswith(prefix) else ""


def _steps_of(record: CallRecord) -> list[StepRecord]:
    """The record's steps; one built from the plan's target when the daemon left none
    (a call answered by nothing it rang still concerns whom it was for)."""
    if record.steps:
        return record.steps
    if record.target:
        return [StepRecord("ring", record.target, answered_by=record.answered_by)]
    return []


def parties(record: CallRecord, caller_login: str = "") -> dict[str, Party]:
    """The employees and departments the call concerns, keyed `e:LOGIN` / `d:NAME`."""
    out: dict[str, Party] = {}
    for step in _steps_of(record):
        talked = bool(step.answered_by)
        department = _name(step.target, DEPARTMENT)
        if department:
            p = out.setdefault(DEPARTMENT + department, Party(rung_only=False))
            p.answered = p.answered or talked
        addressed = _name(step.target, EMPLOYEE)
        rung = {leg.login for leg in step.legs} | ({addressed} if addressed else set())
        for login in rung:
            p = out.setdefault(EMPLOYEE + login, Party())
            p.rung_only = p.rung_only and login != addressed
            if not talked:
                p.missed = True
    for login in (record.answered_by, caller_login):
        if login:
            out.setdefault(EMPLOYEE + login, Party()).rung_only = False
    for key, p in out.items():
        if key.startswith(DEPARTMENT):
            p.missed = not p.answered
        else:
            p.answered = key == EMPLOYEE + record.answered_by
            p.missed = p.missed and not p.answered
    return out


def call_columns(record: CallRecord, caller_login: str = "") -> dict:
    """The derived columns of the `calls` row."""
    return {"caller_login": caller_login, "caller_key": number_key(record.caller),
            "called_key": number_key(record.called), "result": result_of(record),
            "wait": wait_seconds(record), "talk": talk_seconds(record)}


def party_rows(call_id: int, record: CallRecord, caller_login: str = "") -> list[dict]:
    external = record.direction != "internal"
    wait, talk = wait_seconds(record), talk_seconds(record)
    return [{"call_id": call_id, "party": key, "started": record.started, "external": external,
             "rung_only": p.rung_only, "answered": p.answered, "missed": p.missed,
             "wait": wait, "talk": talk if p.answered else 0}
            for key, p in parties(record, caller_login).items()]
