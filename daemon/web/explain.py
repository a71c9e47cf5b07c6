"""«Что будет со звонком на N сейчас»: a call's plan as the admin's page shows it, in Russian.

The same timeline as `callrouter plan` (routing.render.plan_to_text): the seconds of the
caller's wait on the left, what happens then on the right; a forward says why it is taken.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from config.models import Department
from config.snapshot import Snapshot
from daemon.web.profile import STRATEGIES
from daemon.web.words import DEVICES, REASONS
from routing.render import Moment, moments, shown_endpoint
from routing.types import Plan, Step
from routing.walk import entity_of

WEEKDAYS = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")


@dataclass(frozen=True)
class Row:
    second: int             # of the caller's wait
    text: str
    detail: str = ""        # where FreeSWITCH sends the leg (endpoint or mobile number)


@dataclass(frozen=True)
class Explained:
    title: str              # who is called, and why the plan is what it is
    when: str               # the moment planned for, in the called one's time zone
    rows: tuple[Row, ...]


def timeline(plan: Plan, snapshot: Snapshot, now: dt.datetime, destination: str = "") -> Explained:
    rows = tuple(_row(moment, snapshot) for moment in moments(plan))
    return Explained(_title(plan, snapshot, destination), _when(plan, snapshot, now), rows)


def _row(moment: Moment, snapshot: Snapshot) -> Row:
    step, leg = moment.step, moment.leg
    if leg is None:
        what = _describe(step, snapshot)
        return Row(moment.second, f"{REASONS.get(step.reason, step.reason)} → {what}" if moment.forward else what)
    device = DEVICES.get(leg.device, leg.device) + (" (ответ — нажатием 1)" if leg.confirm else "")
    if not moment.first:
        return Row(moment.second, f"+ {device}", shown_endpoint(leg))
    person = snapshot.by_login.get(leg.login)
    return Row(moment.second, f"звонит {person.name if person else leg.login}: {device}", shown_endpoint(leg))


def _title(plan: Plan, snapshot: Snapshot, destination: str) -> str:
    entity = entity_of(snapshot, plan.target)
    why = REASONS.get(plan.reason, plan.reason)
    if entity is None:
        return f"{destination or plan.target or '?'} — {why}"
    if isinstance(entity, Department):
        return f"Отдел «{entity.name}» ({entity.extension}) — {why}, {STRATEGIES.get(entity.strategy, entity.strategy)}"
    return f"{entity.name} ({entity.extension}) — {why}"


def _when(plan: Plan, snapshot: Snapshot, now: dt.datetime) -> str:
    entity = entity_of(snapshot, plan.target)
    zone = snapshot.zone_of(None if entity is None or isinstance(entity, Department) else entity)
    local = now.astimezone(zone)
    return f"{WEEKDAYS[local.weekday()]} {local:%d.%m.%Y %H:%M} ({zone.key})"


def _describe(step: Step, snapshot: Snapshot) -> str:
    if step.action == "ring":
        entity = entity_of(snapshot, step.target)
        if entity is None:
            return step.target
        if isinstance(entity, Department):
            return f"отдел «{entity.name}» ({entity.extension})"
        return f"{entity.name} ({entity.extension})"
    if step.action == "voicemail":
        return f"голосовая почта {step.mailbox}"
    if step.action == "announce":
        return f"объявление {step.file}"
    if step.action == "message":
        return f"сообщение {step.file}"
    return "сигнал «занято»" if step.cause == "USER_BUSY" else f"отбой ({step.cause})"
