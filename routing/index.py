"""What routing precomputes once per config snapshot.

`plan()` has a budget of tens of microseconds for a company of 10,000 employees, so
everything that depends only on the file is worked out when a snapshot is first
routed (or when the daemon calls `prepare()` right after a reload): endpoints,
schedules with the company's holidays folded in, department members resolved to
people, every dialled form of every company number.

The index is cached per snapshot object, keyed by its id and dropped when the
snapshot is garbage-collected, so a reload simply starts using a new one.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Mapping, NamedTuple, Optional, Union
from zoneinfo import ZoneInfo

from config.models import Absence, Department, Employee, Target
from config.snapshot import Snapshot
from routing import dialstring
from routing.memo import Memo
from routing.numbers import clean, dialled_forms
from routing.schedule import WorkCalendar

# Played to a mobile that answers when its owner asked for answer confirmation: a
# stock FreeSWITCH prompt ("press 1 to accept, 2 to reject, 3 for voicemail"; only 1
# does anything here, other keys replay it).
CONFIRM_FILE = "ivr/ivr-accept_reject_voicemail.wav"


class Route(NamedTuple):
    """A Target reduced to what routing reads (the model's `kind` property walks its fields)."""
    kind: str                               # hangup | employee | department | voicemail | message
    value: Optional[str]                    # login, department, mailbox or file; None: own box / busy


def route_of(target: Target) -> Route:
    return Route(target.kind, target.value)


@dataclass(frozen=True, slots=True, eq=False)
class Clock:
    """A time zone and a work calendar (None: always working), shared by everyone with
    the same pair, so that a call works out once per clock who is working."""
    zone: ZoneInfo
    calendar: Optional[WorkCalendar]


@dataclass(frozen=True, slots=True, eq=False)
class Person:
    """One employee, ready to be rung (compared and hashed by identity, as index entries)."""
    login: str
    name: str
    extension: str
    ref: str                                # "employee:LOGIN", the Step.target value
    clock: Clock
    absences: tuple[Absence, ...]
    devices: str                            # office | mobile | all
    mobile_delay: int
    office: str                             # user/LOGIN@DOMAIN
    mobile: Optional[str]                   # sofia/gateway/GW/+7…, None without a mobile
    confirm: str                            # escaped confirmation variables, "" when off
    both: tuple[tuple[str, int], ...]       # devices `all`: (("office", 0), ("mobile", mobile_delay))
    no_answer: Route
    no_answer_after: int
    off_hours: Route

    @property
    def mailbox(self) -> str:
        return self.extension

    @property
    def zone(self) -> ZoneInfo:
        return self.clock.zone


@dataclass(frozen=True, slots=True, eq=False)
class Group:
    """One department, its members resolved to people (in the file's order)."""
    name: str
    extension: str
    ref: str                                # "department:NAME"
    strategy: str
    member_timeout: int
    timeout: int
    skip_busy: bool
    members: tuple[Person, ...]
    no_answer: Route

    @property
    def mailbox(self) -> str:
        return self.extension


Entity = Union[Person, Group]


@dataclass(frozen=True, slots=True)
class Destination:
    """What a dialled number reaches; `did` is the company number when it came in on one."""
    entity: Entity
    did: Optional[str] = None


@dataclass(frozen=True)
class RoutingIndex:
    people: Mapping[str, Person]             # by login
    by_extension: Mapping[str, Entity]       # employee and department extensions
    groups: Mapping[str, Group]              # by department name
    dids: Mapping[str, Destination]          # by every cleaned dialled form
    company_zone: ZoneInfo
    gateway: str
    max_forwards: int
    caller_id: Optional[str]                 # the company's number for mobile legs
    mobile_caller_id: str                    # caller | company
    diversion: bool
    memo: Memo = field(default_factory=Memo, compare=False, repr=False)   # bridges and final steps built so far

    def resolve(self, dialled: str) -> Optional[Destination]:
        """Extension, login, then company number in any dialled form."""
        number = dialled.strip()
        entity = self.by_extension.get(number) or self.people.get(number)
        if entity is not None:
            return Destination(entity)
        return self.dids.get(clean(number))

    def is_employee(self, caller: str) -> bool:
        """Whether a caller ID is one of ours: an employee's extension or login."""
        entity = self.by_extension.get(caller)
        return isinstance(entity, Person) or caller in self.people


def build_index(snapshot: Snapshot) -> RoutingIndex:
    company = snapshot.company
    clocks: dict[object, Clock] = {}
    people = {e.login: _person(e, snapshot, clocks) for e in snapshot.file.employees if e.login}
    groups = {d.name: _group(d, people) for d in snapshot.file.departments}
    by_extension: dict[str, Entity] = {p.extension: p for p in people.values()}
    by_extension.update((g.extension, g) for g in groups.values())
    dids: dict[str, Destination] = {}
    for e164, target in company.numbers.items():
        entity = people.get(target.value) if target.kind == "employee" else groups.get(target.value)
        if entity is None:
            continue                        # a dangling number: config checks report it
        for form in dialled_forms(e164):
            dids[form] = Destination(entity, e164)
    return RoutingIndex(
        people=people, by_extension=by_extension, groups=groups, dids=dids,
        company_zone=snapshot.zone_of(None), gateway=company.gateway,
        max_forwards=company.max_forwards, caller_id=company.caller_id,
        mobile_caller_id=company.mobile_caller_id, diversion=company.diversion)


def _person(e: Employee, snapshot: Snapshot, clocks: dict[object, Clock]) -> Person:
    r = e.reception
    company = snapshot.company
    zone = snapshot.zone_of(e)
    week = None if r.week is None else tuple(tuple((i.start, i.end) for i in day) for day in r.week)
    clock = clocks.get((zone.key, week))
    if clock is None:
        calendar = None if week is None else WorkCalendar.build(week, company.holidays, company.workdays)
        clock = clocks[(zone.key, week)] = Clock(zone, calendar)
    mobile = dialstring.mobile_endpoint(company.gateway, e.mobile) if e.mobile else None
    return Person(
        login=e.login, name=e.name, extension=e.extension, ref=f"employee:{e.login}",
        clock=clock, absences=r.absences,
        devices=r.devices, mobile_delay=r.mobile_delay,
        office=dialstring.office_endpoint(e.login, company.domain), mobile=mobile,
        confirm=dialstring.confirm_variables(CONFIRM_FILE) if r.mobile_confirm else "",
        both=(("office", 0), ("mobile", r.mobile_delay)),
        no_answer=route_of(r.no_answer), no_answer_after=r.no_answer.after, off_hours=route_of(r.off_hours))


def _group(d: Department, people: Mapping[str, Person]) -> Group:
    members = tuple(people[login] for login in d.members if login in people)
    return Group(
        name=d.name, extension=d.extension, ref=f"department:{d.name}", strategy=d.strategy,
        member_timeout=d.member_timeout, timeout=d.timeout, skip_busy=d.skip_busy,
        members=members, no_answer=route_of(d.no_answer))


# --------------------------------------------------------------------------- cache

_indexes: dict[int, tuple[weakref.ref, RoutingIndex]] = {}


def index_for(snapshot: Snapshot) -> RoutingIndex:
    """The snapshot's index, built on first use."""
    entry = _indexes.get(id(snapshot))
    if entry is not None and entry[0]() is snapshot:
        return entry[1]
    index = build_index(snapshot)
    key = id(snapshot)
    _indexes[key] = (weakref.ref(snapshot, lambda _ref: _forget(key, _ref)), index)
    return index


def _forget(key: int, ref: weakref.ref) -> None:
    entry = _indexes.get(key)
    if entry is not None and entry[0] is ref:
        del _indexes[key]
