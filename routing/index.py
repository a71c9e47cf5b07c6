"""What routing precomputes once per config snapshot.

`plan()` has a budget of tens of microseconds for a company of 10,000 employees, so
everything that depends only on the file is worked out when a snapshot is first
routed (or when the daemon calls `prepare()` right after a reload): endpoints,
schedules with the company's holidays folded in, absences as day numbers, device
rules, department members resolved to people and laid out as masks (by clock, by
devices, with absences) with their leg templates (routing.legs), every dialled form
of every company number.

The index also holds what calls keep for later calls (UTC offsets and clocks'
worked minutes per hour, legs and bridges, final steps; each bounded).  It is
cached per snapshot object, keyed by its id and dropped when the snapshot is
garbage-collected.  A reload's index is built from the latest one (`build_index`):
people and departments the edit left unchanged are the same objects, and what calls
kept, keyed by them, stays warm.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Mapping, NamedTuple, Optional, Union
from zoneinfo import ZoneInfo

from config.models import Company, Department, Employee, Target
from config.snapshot import Snapshot
from routing import dialstring
from routing.absence import AbsenceSpan, spans as absence_spans
from routing.callerid import usual_mobile_leg_variables
from routing.clock import Clock, WorkingHours
from routing.department import members_needed, windows
from routing.devices import (RING_ALL, RING_MOBILE, RING_OFFICE, RING_OFFICE_OR_MOBILE, DeviceRule, kind_of,
                             mobile_variants, rule_for)
from routing.legs import LegCache
from routing.localtime import ZoneOffsets
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
class Person:
    """One employee, ready to be rung (compared and hashed by identity, as index entries)."""
    login: str
    name: str
    extension: str
    ref: str                                # "employee:LOGIN", the Step.target value
    clock: Clock
    absences: tuple[AbsenceSpan, ...]       # day-ordinal spans, in the file's order
    rule: DeviceRule                        # devices when registered / not (routing.devices)
    kind: int                               # what the rule needs from the live views (devices.kind_of)
    mobile_variants: int                    # which variants ring the mobile (devices.mobile_variants)
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
    logins: tuple[str, ...]                 # the members' logins, in order
    needed: int                             # available members a call needs to know of (department.members_needed)
    windows: tuple[tuple[int, int], ...]    # the strategy's (start, end) of each turn, for all members
    # The members as masks (bit i: member i), so that a call applies the rule with
    # integer operations (Walk._available, routing.live): by what their devices need
    # from the live views (devices.kind_of), by clock, and those with absences.
    bits: Mapping[str, int]                 # login -> member index
    login_set: frozenset[str]
    kind_masks: tuple[int, int, int, int]   # RING_OFFICE, RING_MOBILE, RING_OFFICE_OR_MOBILE, RING_ALL
    clock_masks: tuple[tuple[Clock, int], ...]
    absentees: tuple[tuple[int, tuple[AbsenceSpan, ...], ZoneInfo], ...]
    source: Department = field(repr=False)  # what it was built from, with `members`
    bridges: dict = field(default_factory=dict, repr=False)     # ring steps by who rings (routing.legs)
    tables: dict = field(default_factory=dict, repr=False)      # members' legs by mobile variables (routing.legs)

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
    offsets: ZoneOffsets = field(compare=False, repr=False)                # shared with the clocks
    working: WorkingHours = field(default_factory=WorkingHours, compare=False, repr=False)
    legs: LegCache = field(default_factory=LegCache, compare=False, repr=False)
    direct: Mapping[str, Destination] = field(default_factory=dict, repr=False)   # by extension, then login
    employee_ids: frozenset[str] = frozenset()   # employees' extensions and logins (internal callers)
    memo: Memo = field(default_factory=Memo, compare=False, repr=False)   # final steps, callers' variables
    clocks: dict = field(default_factory=dict, compare=False, repr=False)  # by (zone, week), shared by people
    basis: tuple = ()                        # the company settings people's entries depend on (see _basis)

    def resolve(self, dialled: str) -> Optional[Destination]:
        """Extension, login, then company number in any dialled form."""
        number = dialled.strip()
        return self.direct.get(number) or self.dids.get(clean(number))

    def is_employee(self, caller: str) -> bool:
        """Whether a caller ID is one of ours: an employee's extension or login."""
        return caller in self.employee_ids


def build_index(snapshot: Snapshot, previous: Optional[RoutingIndex] = None) -> RoutingIndex:
    """The snapshot's index.  With the index of the snapshot it replaces, whatever an
    edit left unchanged is taken from it: people whose entry is equal, departments
    whose entry and people are, and what calls kept (clocks' hours, UTC offsets,
    legs and bridges; final steps while the mobile legs show the same), as these are
    keyed by the very objects reused.  A reload after a small edit then builds a few
    entries instead of 10,000, and calls find their caches warm."""
    company = snapshot.company
    basis = _basis(company)
    if previous is None or previous.basis != basis:
        previous = None
    old_people = previous.people if previous is not None else {}
    old_groups = previous.groups if previous is not None else {}
    offsets = previous.offsets if previous is not None else ZoneOffsets()
    clocks: dict[object, Clock] = previous.clocks if previous is not None else {}
    people = {}
    for e in snapshot.file.employees:
        if e.login:
            old = old_people.get(e.login)
            people[e.login] = old if old is not None and old.source == e else _person(e, snapshot, clocks, offsets)
    groups = {}
    for d in snapshot.file.departments:
        old = old_groups.get(d.name)
        groups[d.name] = old if old is not None and _unchanged(old, d, people) else _group(d, people)
    by_extension: dict[str, Entity] = {p.extension: p for p in people.values()}
    by_extension.update((g.extension, g) for g in groups.values())
    dids: dict[str, Destination] = {}
    for e164, target in company.numbers.items():
        entity = people.get(target.value) if target.kind == "employee" else groups.get(target.value)
        if entity is None:
            continue                        # a dangling number: config checks report it
        for form in dialled_forms(e164):
            dids[form] = Destination(entity, e164)
    direct = {login: Destination(p) for login, p in people.items()}
    direct.update((extension, Destination(entity)) for extension, entity in by_extension.items())
    employee_ids = frozenset(people).union(p.extension for p in people.values())
    kept = {}
    if previous is not None:
        kept = dict(working=previous.working, legs=previous.legs)
        if _shows(previous) == (company.caller_id, company.mobile_caller_id, company.diversion):
            kept["memo"] = previous.memo
    index = RoutingIndex(
        people=people, by_extension=by_extension, groups=groups, dids=dids, direct=direct, employee_ids=employee_ids,
        company_zone=snapshot.zone_of(None), gateway=company.gateway,
        max_forwards=company.max_forwards, caller_id=company.caller_id,
        mobile_caller_id=company.mobile_caller_id, diversion=company.diversion, offsets=offsets,
        clocks=clocks, basis=basis, **kept)
    extras = usual_mobile_leg_variables(index)
    for g in groups.values():
        for extra in extras:
            index.legs.table(g, extra)
    return index


def _basis(company: Company) -> tuple:
    """What a Person takes from the company section: its domain, gateway, time zone and calendar."""
    return (company.domain, company.gateway, company.timezone, company.holidays, company.workdays)


def _shows(index: RoutingIndex) -> tuple:
    return (index.caller_id, index.mobile_caller_id, index.diversion)


def _unchanged(old: Group, d: Department, people: Mapping[str, Person]) -> bool:
    """Whether a department's Group still holds: the same entry, and the same Person
    for each member (who may have been edited, added or removed)."""
    return old.source == d and len(old.members) == sum(login in people for login in d.members) and all(
        people.get(m.login) is m for m in old.members)


def _person(e: Employee, snapshot: Snapshot, clocks: dict[object, Clock], offsets: ZoneOffsets) -> Person:
    r = e.reception
    company = snapshot.company
    zone = snapshot.zone_of(e)
    week = None if r.week is None else tuple(tuple((i.start, i.end) for i in day) for day in r.week)
    clock = clocks.get((zone.key, week))
    if clock is None:
        calendar = None if week is None else WorkCalendar.build(week, company.holidays, company.workdays)
        clock = clocks[(zone.key, week)] = Clock(zone, calendar, offsets)
    mobile = dialstring.mobile_endpoint(company.gateway, e.mobile) if e.mobile else None
    rule = rule_for(r.devices, mobile is not None, r.mobile_delay)
    return Person(
        login=e.login, name=e.name, extension=e.extension, ref=f"employee:{e.login}",
        clock=clock, absences=absence_spans(r.absences),
        rule=rule, kind=kind_of(rule, mobile is not None), mobile_variants=mobile_variants(rule, mobile is not None),
        office=dialstring.office_endpoint(e.login, company.domain), mobile=mobile,
        confirm=dialstring.confirm_variables(CONFIRM_FILE) if r.mobile_confirm else "",
        no_answer=route_of(r.no_answer), no_answer_after=r.no_answer.after, off_hours=route_of(r.off_hours),
        source=e)


def _group(d: Department, people: Mapping[str, Person]) -> Group:
    members = tuple(people[login] for login in d.members if login in people)
    by_clock: dict[Clock, int] = {}
    kinds = (RING_OFFICE, RING_MOBILE, RING_OFFICE_OR_MOBILE, RING_ALL)
    kind_masks = [0] * len(kinds)
    bits: dict[str, int] = {}
    for i, m in enumerate(members):
        by_clock[m.clock] = by_clock.get(m.clock, 0) | 1 << i
        if m.kind in kinds:
            kind_masks[kinds.index(m.kind)] |= 1 << i
        bits.setdefault(m.login, i)
    return Group(
        name=d.name, extension=d.extension, ref=f"department:{d.name}", strategy=d.strategy,
        member_timeout=d.member_timeout, timeout=d.timeout, skip_busy=d.skip_busy,
        members=members, no_answer=route_of(d.no_answer),
        logins=tuple(m.login for m in members),
        needed=members_needed(d.strategy, len(members), d.member_timeout, d.timeout),
        windows=tuple(windows(d.strategy, len(members), d.member_timeout, d.timeout)), source=d,
        bits=bits, login_set=frozenset(bits), kind_masks=tuple(kind_masks), clock_masks=tuple(by_clock.items()),
        absentees=tuple((1 << i, m.absences, m.zone) for i, m in enumerate(members) if m.absences))


# --------------------------------------------------------------------------- cache

_indexes: dict[int, tuple[weakref.ref, RoutingIndex]] = {}
_latest: Optional[weakref.ref] = None          # the index built last, while its snapshot lives


def index_for(snapshot: Snapshot) -> RoutingIndex:
    """The snapshot's index, built on first use (from the latest one, see build_index)."""
    global _latest
    entry = _indexes.get(id(snapshot))
    if entry is not None and entry[0]() is snapshot:
        return entry[1]
    index = build_index(snapshot, _latest() if _latest is not None else None)
    key = id(snapshot)
    _indexes[key] = (weakref.ref(snapshot, lambda _ref: _forget(key, _ref)), index)
    _latest = weakref.ref(index)
    return index


def _forget(key: int, ref: weakref.ref) -> None:
    entry = _indexes.get(key)
    if entry is not None and entry[0] is ref:
        del _indexes[key]
