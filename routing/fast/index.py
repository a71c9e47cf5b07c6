"""What the speed layer precomputes once per config snapshot.

A decision has a budget of 100 µs at p99 for a company of 10,000 employees, so
everything that depends only on the file is worked out when a snapshot is first
routed (or when the daemon calls `prepare()` right after a reload): endpoints,
schedules with the company's holidays folded in, absences as day numbers, device
rules, department members resolved to people and laid out as masks (by clock, by
devices, with absences) with their leg templates (routing.fast.legs), every dialled form
of every company number.

The index also holds what calls keep for later calls (UTC offsets and clocks'
worked minutes per hour, legs and bridges, final steps; each bounded), apart from
its entries (routing.fast.entries), which never change.  `INDEXES` keeps one index
per live snapshot object, keyed by its id and dropped when the snapshot is
garbage-collected: the one piece of module state in routing, as `plan()` is handed
a snapshot and the index must outlive the call.  A reload's index is built from the
latest one (`build_index`): people and departments the edit left unchanged are the
same objects, and what calls kept, keyed by them, stays warm.
"""
from __future__ import annotations

import weakref
from types import MappingProxyType
from typing import Mapping, Optional

from config.models import Company, Department, Employee
from config.snapshot import Snapshot
from routing import dialstring
from routing.callerid import mobile_leg_variables
from routing.devices import confirm_file
from routing.fast.clock import Clock, WorkingHours
from routing.fast.entries import Destination, Entity, Group, Person, absence_spans, route_of
from routing.fast.legs import LegCache
from routing.fast.localtime import ZoneOffsets
from routing.fast.memo import Memo
from routing.fast.turns import SETUPS, mobile_variants, rule_for, setup_of
from routing.numbers import clean, dialled_forms
from routing.schedule import WorkCalendar
from routing.strategies import windows


class RoutingIndex:
    """A snapshot's entries, and what calls keep (not frozen: the caches change)."""
    __slots__ = ("people", "groups", "dids", "direct", "employee_ids", "forms", "max_forwards", "caller_id",
                 "mobile_caller_id", "diversion", "basis", "confirm_seconds", "offsets", "clocks", "working", "legs",
                 "memo", "__weakref__")

    def __init__(self, *, people: Mapping[str, Person], groups: Mapping[str, Group],
                 dids: Mapping[str, Destination], direct: Mapping[str, Destination], employee_ids: frozenset[str],
                 forms: dict[str, frozenset[str]], company: Company, offsets: ZoneOffsets, clocks: dict[object, Clock],
                 working: Optional[WorkingHours] = None, legs: Optional[LegCache] = None,
                 memo: Optional[Memo] = None):
        self.people = people                 # by login
        self.groups = groups                 # by department name
        self.dids = dids                     # by every cleaned dialled form
        self.direct = direct                 # by extension, then login
        self.employee_ids = employee_ids     # employees' extensions and logins (internal callers)
        self.forms = forms                   # company numbers' dialled forms, by E.164 (a reload reuses them)
        self.max_forwards = company.max_forwards
        self.caller_id = company.caller_id   # the company's number for mobile legs
        self.mobile_caller_id = company.mobile_caller_id      # caller | company
        self.diversion = company.diversion
        self.confirm_seconds = company.mobile_confirm_seconds   # a confirming leg's time past its step
        self.basis = _basis(company)         # the company settings people's entries depend on
        # What calls keep (bounded each), carried over to the index of a reload:
        self.offsets = offsets               # UTC offsets per hour, shared with the clocks
        self.clocks = clocks                 # by (zone, week), shared by people
        self.working = working if working is not None else WorkingHours()
        self.legs = legs if legs is not None else LegCache()
        self.memo = memo if memo is not None else Memo()     # final steps, callers' variables

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
    old_forms = previous.forms if previous is not None else {}
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
    forms: dict[str, frozenset[str]] = {}
    for e164, target in company.numbers.items():
        entity = people.get(target.value) if target.kind == "employee" else groups.get(target.value)
        if entity is None:
            continue                        # a dangling number: config checks report it
        forms[e164] = old_forms.get(e164) or dialled_forms(e164)
        for form in forms[e164]:
            dids[form] = Destination(entity, e164)
    direct = {login: Destination(p) for login, p in people.items()}
    direct.update((extension, Destination(entity)) for extension, entity in by_extension.items())
    employee_ids = frozenset(people).union(p.extension for p in people.values())
    kept = {}
    if previous is not None:
        kept = dict(working=previous.working, legs=previous.legs)
        previous.legs.forget(groups.values())
        if _shows(previous) == (company.caller_id, company.mobile_caller_id, company.diversion):
            kept["memo"] = previous.memo
    index = RoutingIndex(
        people=people, groups=groups, dids=dids, direct=direct, employee_ids=employee_ids, forms=forms,
        company=company, offsets=offsets, clocks=clocks, **kept)
    extras = usual_mobile_leg_variables(index)
    for g in groups.values():
        for extra in extras:
            index.legs.table(g, extra)
    return index


def usual_mobile_leg_variables(index: RoutingIndex) -> tuple[str, ...]:
    """The mobile legs' variables of calls that did not come in on a company number
    (with `company.diversion`, those that did name it): the caller's own number shown
    or not."""
    return tuple(dict.fromkeys(mobile_leg_variables(own, None, index.caller_id, index.diversion)
                               for own in (None, "+0")))


def members_needed(strategy: str, members: int, slot: int, total: int) -> int:
    """How many available members, in the department's order, a call needs to know of:
    sequential and cascade never reach past the windows that fit in `total`;
    the other strategies need them all (round robin and longest idle reorder first)."""
    if strategy in ("sequential", "cascade"):
        return min(members, -(-total // slot))
    return members


def _basis(company: Company) -> tuple:
    """What a Person takes from the company section: its domain, gateway, time zone and calendar."""
    return (company.domain, company.gateway, company.timezone, company.holidays, company.workdays,
            company.mobile_confirm_file, company.mobile_confirm_seconds)


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
        rule=rule, setup=setup_of(rule, mobile is not None), mobile_variants=mobile_variants(rule, mobile is not None),
        office=dialstring.office_endpoint(e.login, company.domain), mobile=mobile,
        confirm=dialstring.confirm_variables(confirm_file(company), company.mobile_confirm_seconds)
        if r.mobile_confirm else "",
        no_answer=route_of(r.no_answer), no_answer_after=r.no_answer.after, off_hours=route_of(r.off_hours),
        source=e)


def _group(d: Department, people: Mapping[str, Person]) -> Group:
    members = tuple(people[login] for login in d.members if login in people)
    by_clock: dict[Clock, int] = {}
    setup_masks = [0] * len(SETUPS)
    bits: dict[str, int] = {}
    for i, m in enumerate(members):
        by_clock[m.clock] = by_clock.get(m.clock, 0) | 1 << i
        if m.setup in SETUPS:
            setup_masks[SETUPS.index(m.setup)] |= 1 << i
        bits[m.login] = bits.get(m.login, 0) | 1 << i
    return Group(
        name=d.name, extension=d.extension, ref=f"department:{d.name}", strategy=d.strategy,
        member_timeout=d.member_timeout, timeout=d.timeout, skip_busy=d.skip_busy,
        members=members, no_answer=route_of(d.no_answer),
        logins=tuple(m.login for m in members),
        needed=members_needed(d.strategy, len(members), d.member_timeout, d.timeout),
        windows=tuple(windows(d.strategy, len(members), d.member_timeout, d.timeout)), source=d,
        bits=MappingProxyType(bits), login_set=frozenset(bits), setup_masks=tuple(setup_masks),
        clock_masks=tuple(by_clock.items()),
        absentees=tuple((1 << i, m.absences, m.zone) for i, m in enumerate(members) if m.absences))


# --------------------------------------------------------------------------- registry

class Indexes:
    """The index of each live snapshot, built on first use from the latest one (see
    build_index), and dropped when its snapshot is garbage-collected."""

    def __init__(self) -> None:
        self._by_snapshot: dict[int, tuple[weakref.ref, RoutingIndex]] = {}
        self._latest: Optional[weakref.ref] = None      # the index built last, while it lives

    def of(self, snapshot: Snapshot) -> RoutingIndex:
        entry = self._by_snapshot.get(id(snapshot))
        if entry is not None and entry[0]() is snapshot:
            return entry[1]
        index = build_index(snapshot, self._latest() if self._latest is not None else None)
        key = id(snapshot)
        self._by_snapshot[key] = (weakref.ref(snapshot, lambda ref: self._forget(key, ref)), index)
        self._latest = weakref.ref(index)
        return index

    def get(self, snapshot: Snapshot) -> Optional[RoutingIndex]:
        """The snapshot's index if one was built, else None."""
        entry = self._by_snapshot.get(id(snapshot))
        return entry[1] if entry is not None and entry[0]() is snapshot else None

    def forget_latest(self) -> None:
        """Build the next index from nothing (tests: a fresh index to compare with)."""
        self._latest = None

    def _forget(self, key: int, ref: weakref.ref) -> None:
        entry = self._by_snapshot.get(key)
        if entry is not None and entry[0] is ref:
            del self._by_snapshot[key]


INDEXES = Indexes()


def index_for(snapshot: Snapshot) -> RoutingIndex:
    """The snapshot's index, built on first use."""
    return INDEXES.of(snapshot)
