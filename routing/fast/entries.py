"""What the speed layer works out once per snapshot about each person and department.

Plain data: compared and hashed by identity (they are keys of what calls keep),
never changed after they are built; everything a call keeps lives elsewhere
(routing.fast.legs, routing.fast.live, routing.fast.clock).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable, Mapping, NamedTuple, Optional, Union
from zoneinfo import ZoneInfo

from config.models import Absence, Department, Employee, Target
from routing.devices import Devices
from routing.fast.clock import Clock


class Route(NamedTuple):
    """A Target reduced to what routing reads (config's `Target.kind` walks its fields)."""
    action: str                             # hangup | employee | department | voicemail | message
    value: Optional[str]                    # login, department, mailbox or file; None: own box / busy


def route_of(target: Target) -> Route:
    return Route(target.kind, target.value)


class DeviceRule(NamedTuple):
    """A person's devices (routing.devices) for each answer of the live views."""
    registered: Devices                     # when the login has a registration (or it does not matter)
    unregistered: Devices                   # when it has none
    forwarded: Devices                      # with *21 on
    checks_registration: bool               # False: only a mobile rings, registration is not asked


AbsenceSpan = tuple[int, int, Absence]      # first day, last day (ordinals, inclusive), the absence
_OPEN_END = dt.date.max.toordinal()


def absence_spans(absences: Iterable[Absence]) -> tuple[AbsenceSpan, ...]:
    """The absences as day-ordinal spans, in the file's order."""
    return tuple((a.from_.toordinal(), _OPEN_END if a.to is None else a.to.toordinal(), a) for a in absences)


def absence_on(spans: Iterable[AbsenceSpan], day: int) -> Optional[Absence]:
    """The first absence covering the day with ordinal `day` (routing.absence.current_absence's answer)."""
    for first, last, absence in spans:
        if first <= day <= last:
            return absence
    return None


@dataclass(frozen=True, slots=True, eq=False)
class Person:
    """One employee, ready to be rung."""
    login: str
    name: str
    extension: str
    ref: str                                # "employee:LOGIN", the Step.target value
    clock: Clock
    absences: tuple[AbsenceSpan, ...]       # day-ordinal spans, in the file's order
    rule: DeviceRule
    setup: int                              # which live answers can change what rings (routing.fast.turns)
    mobile_variants: int                    # which turn variants ring the mobile (routing.fast.turns)
    office: str                             # user/LOGIN@DOMAIN
    mobile: Optional[str]                   # sofia/gateway/GW/+7…, None without a mobile
    confirm: str                            # escaped confirmation variables, "" when off
    no_answer: Route
    no_answer_after: int
    off_hours: Route
    source: Employee = field(repr=False)    # what it was built from (a reload reuses it if unchanged)

    @property
    def mailbox(self) -> str:
        return self.extension

    @property
    def zone(self) -> ZoneInfo:
        return self.clock.zone


@dataclass(frozen=True, slots=True, eq=False)
class Group:
    """One department, its members resolved to people (in the file's order), and laid
    out as masks (bit i: member i) so that a call applies routing.skipping's rule with
    integer operations (routing.fast.walk)."""
    name: str
    extension: str
    ref: str                                # "department:NAME"
    strategy: str
    member_timeout: int
    timeout: int
    skip_busy: bool
    members: tuple[Person, ...]
    no_answer: Route
    logins: tuple[str, ...]                 # the members' logins, in order
    needed: int                             # available members a call needs to know of (see index.members_needed)
    windows: tuple[tuple[int, int], ...]    # the strategy's (start, end) of each turn, for all members
    bits: Mapping[str, int]                 # login -> its members' bits
    login_set: frozenset[str]
    setup_masks: tuple[int, int, int, int]  # members by setup, in the order of routing.fast.turns.SETUPS
    clock_masks: tuple[tuple[Clock, int], ...]
    absentees: tuple[tuple[int, tuple[AbsenceSpan, ...], ZoneInfo], ...]
    source: Department = field(repr=False)  # what it was built from, with `members`

    @property
    def mailbox(self) -> str:
        return self.extension


Entity = Union[Person, Group]


@dataclass(frozen=True, slots=True)
class Destination:
    """What a dialled number reaches; `did` is the company number when it came in on one."""
    entity: Entity
    did: Optional[str] = None
