"""Tiny builders for routing tests: a company in a few lines, fixed times, live views.

Snapshots are built straight from the models (explicit logins), not through the
YAML loader, so routing tests depend on nothing but routing and the models.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional
from zoneinfo import ZoneInfo

from config.models import ConfigFile
from config.snapshot import Snapshot
from routing import expand, plan as route
from routing.fast.live import LiveMasks
from routing.types import ASSUME_AVAILABLE, NO_OVERRIDES, NO_ROTATION, Call, Plan

DOMAIN = "pbx.romashka.local"
MSK = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")

# Tuesday 15 December 2026, 10:00 in Moscow: an ordinary working morning.
TUESDAY_10 = dt.datetime(2026, 12, 15, 10, 0, tzinfo=MSK)


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0, second: int = 0,
       zone: ZoneInfo = MSK, fold: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=zone, fold=fold)


def employee(login: str, extension: str, name: Optional[str] = None, mobile: Optional[str] = None,
             department: Optional[str] = None, **reception: Any) -> dict:
    data: dict[str, Any] = {"name": name or login.replace(".", " ").title(), "login": login,
                            "extension": extension, "reception": reception}
    if mobile:
        data["mobile"] = mobile
    if department:
        data["department"] = department
    return data


def department(name: str, extension: str, members: Iterable[str], **settings: Any) -> dict:
    return {"name": name, "extension": extension, "members": list(members), **settings}


def company(employees: Iterable[dict] = (), departments: Iterable[dict] = (), **settings: Any) -> Snapshot:
    data = {"name": "Ромашка", "domain": DOMAIN, "timezone": "Europe/Moscow", "gateway": "trunk", **settings}
    file = ConfigFile.model_validate({"company": data, "employees": list(employees),
                                      "departments": list(departments)})
    return Snapshot.build(file)


@dataclass
class Devices:
    """Presence: everyone registered and idle unless listed."""
    unregistered: set[str] = field(default_factory=set)
    busy: set[str] = field(default_factory=set)

    def is_registered(self, login: str) -> bool:
        return login not in self.unregistered

    def is_busy(self, login: str) -> bool:
        return login in self.busy


@dataclass
class Switches:
    """Runtime overrides set by feature codes."""
    dnd_on: set[str] = field(default_factory=set)
    to_mobile: set[str] = field(default_factory=set)

    def dnd(self, login: str) -> bool:
        return login in self.dnd_on

    def forward_to_mobile(self, login: str) -> bool:
        return login in self.to_mobile


@dataclass
class Turns:
    """Department rotation state."""
    start: int = 0
    answered: dict[str, dt.datetime] = field(default_factory=dict)

    def round_robin_start(self, department: str) -> int:
        return self.start

    def last_answered(self, login: str) -> Optional[dt.datetime]:
        return self.answered.get(login)


def call(snapshot: Snapshot, to: str, caller: str = "+79035550000", now: dt.datetime = TUESDAY_10,
         presence=ASSUME_AVAILABLE, rotation=NO_ROTATION, overrides=NO_OVERRIDES) -> Plan:
    """The whole plan if nobody answers (forwards taken up when the call would get there),
    by the plain rules; the speed layer (routing.fast) must give the very same plan."""
    plain = whole(snapshot, to, caller, now, presence, rotation, overrides)
    fast = whole(snapshot, to, caller, now, presence, rotation, overrides, LiveMasks(presence, overrides))
    assert fast == plain, "the speed layer planned otherwise than the plain rules"
    return plain


def whole(snapshot: Snapshot, to: str, caller: str, now: dt.datetime, presence, rotation, overrides,
          live: Optional[LiveMasks] = None) -> Plan:
    first = route(Call(destination=to, caller=caller), snapshot, now, presence, rotation, overrides, live)
    return expand(first, snapshot, now, presence, rotation, overrides, live)


def path(plan: Plan) -> list[tuple[str, str, str]]:
    """(action, reason, who) per step: who is the target, or the mailbox/file/cause."""
    out = []
    for step in plan.steps:
        detail = {"voicemail": step.mailbox, "message": step.file, "announce": step.file,
                  "hangup": step.cause}.get(step.action, step.target)
        out.append((step.action, step.reason, detail or ""))
    return out


def rung(plan: Plan) -> list[tuple[str, str, int, int]]:
    """(login, device, delay, timeout) for every leg of every ring step."""
    return [(leg.login, leg.device, leg.delay, leg.timeout) for step in plan.steps for leg in step.legs]
