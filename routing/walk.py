"""Following one call from person to person, by the plain rules.

This is the whole of routing in the provider's terms, read top to bottom: each
decision is one of the rule modules, asked with plain values of the file, the time
and the live views:

- what a dialled number reaches: routing.numbers (company numbers in any form);
- a person called directly: routing.reception (absence, then schedule, then DND,
  then devices), with routing.absence, routing.schedule and routing.devices;
- a department: routing.skipping (who is left out), then routing.strategies (in
  which order and windows the others ring), each member with routing.devices;
- where the call goes next: routing.targets (no answer, off hours, absence;
  forwards, loops and the hop limit);
- what the legs show and carry: routing.callerid, routing.dialstring.

A forward taken after something has rung is decided when the call gets there
unanswered: the walk stops and leaves a `Continuation` (`Plan.then`) that `resume`
takes up with the time and the live state of that moment.  So each plan rings one
person or one department at most.

The daemon routes through the speed layer (routing.fast), which must plan exactly
as this module does (tests/routing/test_fast_layer.py).
"""
from __future__ import annotations

import datetime as dt
from typing import Optional, Union

from config.models import Department, Employee, Target
from config.snapshot import Snapshot
from routing import dialstring, reception, targets
from routing.absence import absence_now
from routing.callerid import call_variables, mobile_leg_variables, own_number
from routing.devices import MOBILE, OFFICE, Devices, confirm_file, confirm_seconds, devices_to_ring, timings
from routing.numbers import company_number
from routing.schedule import WorkCalendar, working_now
from routing.skipping import skip_reason
from routing.strategies import ring_order, turns
from routing.types import Call, Continuation, Leg, Overrides, Plan, Presence, Rotation, Step

Entity = Union[Employee, Department]
UNKNOWN_NUMBER = (Step(action="hangup", cause="UNALLOCATED_NUMBER", reason="unknown_number"),)


# --------------------------------------------------------------------------- who is dialled

def resolve(snapshot: Snapshot, dialled: str) -> tuple[Optional[Entity], Optional[str]]:
    """What a dialled number reaches, and the company number it came in on: an
    extension (an employee's or a department's), a login, then a company number in
    any of its dialled forms (routing.numbers)."""
    number = dialled.strip()
    entity = snapshot.department_by_extension.get(number) or snapshot.by_extension.get(number) \
        or snapshot.by_login.get(number)
    if entity is not None:
        return entity, None
    e164 = company_number(number, snapshot.company.numbers)
    if e164 is None:
        return None, None
    target = snapshot.company.numbers[e164]
    entity = snapshot.by_login.get(target.value) if target.kind == "employee" else \
        snapshot.departments.get(target.value)
    return (entity, e164) if entity is not None else (None, None)


def is_employee(snapshot: Snapshot, caller: str) -> bool:
    """Whether a caller ID is one of the company's employees: an extension or a login."""
    return caller in snapshot.by_login or caller in snapshot.by_extension


def plan_kind(entity: Entity) -> str:
    """`Plan.kind` of a plan that reaches `entity`."""
    return "department" if isinstance(entity, Department) else "employee"


def ref_of(entity: Entity) -> str:
    """The Step.target / Plan.target value naming a person or department."""
    return f"department:{entity.name}" if isinstance(entity, Department) else f"employee:{entity.login}"


def entity_of(snapshot: Snapshot, ref: str) -> Optional[Entity]:
    """The person or department a Step.target / Plan.target names ("" names nobody)."""
    what, _, name = ref.partition(":")
    if what == "employee":
        return snapshot.by_login.get(name)
    return snapshot.departments.get(name) if what == "department" else None


# --------------------------------------------------------------------------- plan, resume

def plan(call: Call, snapshot: Snapshot, now: dt.datetime, presence: Presence, rotation: Rotation,
         overrides: Overrides) -> Plan:
    internal = is_employee(snapshot, call.caller)
    entity, did = resolve(snapshot, call.destination)
    if entity is None:
        return Plan("unknown_number", "", UNKNOWN_NUMBER, "unknown", internal)
    walk = Walk(snapshot, now, call.caller, internal, did, presence, rotation, overrides, ref_of(entity))
    reason = walk.reach(entity, "department" if isinstance(entity, Department) else "direct")
    return Plan(reason, ref_of(entity), tuple(walk.steps), plan_kind(entity), internal, walk.then)


def resume(then: Continuation, snapshot: Snapshot, now: dt.datetime, presence: Presence, rotation: Rotation,
           overrides: Overrides) -> Plan:
    walk = Walk(snapshot, now, then.caller, then.internal, then.did, presence, rotation, overrides, then.origin)
    walk.people.update(then.people)
    walk.departments.update(then.departments)
    walk.hops = then.hops
    entity = entity_of(snapshot, then.to)
    reason = walk.reach(entity, then.reason)
    return Plan(reason, then.to, tuple(walk.steps), plan_kind(entity), then.internal, walk.then)


class Walk:
    """The memory of one plan being built: the steps so far, who has been reached and
    how many forwards were taken."""

    def __init__(self, snapshot: Snapshot, now: dt.datetime, caller: str, internal: bool, did: Optional[str],
                 presence: Presence, rotation: Rotation, overrides: Overrides, origin: str):
        self.snapshot = snapshot
        self.company = snapshot.company
        self.now = now
        self.caller = caller
        self.internal = internal
        self.did = did                       # the company number the call came in on
        self.presence = presence
        self.rotation = rotation
        self.overrides = overrides
        self.origin = origin                 # who was called: loops and the hop limit end in their voicemail
        self.steps: list[Step] = []
        self.people: set[str] = set()        # logins reached
        self.departments: set[str] = set()   # department names reached
        self.hops = 0
        self.rang = False                    # a ring step is in: later forwards are decided later
        self.then: Optional[Continuation] = None

    def reach(self, entity: Entity, reason: str) -> str:
        """Route to a person or department; returns their state (a Plan.reason)."""
        if isinstance(entity, Department):
            return self.department(entity, reason)
        return self.person(entity, reason)

    # ------------------------------------------------------------------ a person

    def person(self, e: Employee, reason: str) -> str:
        """routing.reception: absence, off hours, DND, devices."""
        self.people.add(e.login)
        r = e.reception
        absence = absence_now(r.absences, self.now, self.snapshot.zone_of(e))
        forwarded = bool(e.mobile) and self.overrides.forward_to_mobile(e.login)
        devices = self.devices(e, forwarded)
        state = reception.direct_call(absent=absence is not None, working=self.working(e),
                                      dnd=self.overrides.dnd(e.login), devices=devices, forwarded_to_mobile=forwarded)
        if state == reception.ABSENT and absence.announce:
            self.steps.append(Step(action="announce", file=absence.announce, reason="absent", target=ref_of(e)))
        if state in reception.RINGS:
            legs = self.legs(e, devices, 0, r.no_answer.after)
            if legs:
                self.ring(legs, state if state == reception.FORWARD_TO_MOBILE else reason, ref_of(e))
        target = {"absence": absence.forward if absence is not None else None, "off_hours": r.off_hours,
                  "no_answer": r.no_answer}[reception.TARGET_OF[state]]
        self.follow(target, e, reception.target_reason(state))
        return state

    def devices(self, e: Employee, forwarded: bool) -> Devices:
        r = e.reception
        return devices_to_ring(r.devices, r.mobile_delay, bool(e.mobile), self.presence.is_registered(e.login),
                               forwarded)

    def working(self, e: Employee) -> bool:
        r = e.reception
        calendar = None if r.week is None else WorkCalendar.build(r.week, self.company.holidays,
                                                                  self.company.workdays)
        return working_now(calendar, self.now, self.snapshot.zone_of(e))

    # ------------------------------------------------------------------ a department

    def department(self, d: Department, reason: str) -> str:
        """routing.skipping, then routing.strategies."""
        self.departments.add(d.name)
        members = [self.snapshot.by_login[login] for login in d.members if login in self.snapshot.by_login]
        available = []
        for e in members:
            devices = self.member_devices(e, d)
            if devices is not None:
                available.append((e, devices))
        if not available:
            self.follow(d.no_answer, d, "no_one_available")
            return "no_one_available"
        start = self.rotation.round_robin_start(d.name) if d.strategy == "round_robin" else 0
        last = [self.rotation.last_answered(e.login) for e, _ in available] if d.strategy == "longest_idle" else []
        ordered = ring_order(d.strategy, available, start, last)
        legs: list[Leg] = []
        for (e, devices), (begin, end) in turns(d.strategy, ordered, len(members), d.member_timeout, d.timeout):
            legs += self.legs(e, devices, begin, end)
            self.people.add(e.login)
        self.ring(legs, reason, ref_of(d))
        self.follow(d.no_answer, d, "no_answer")
        return "department"

    def member_devices(self, e: Employee, d: Department) -> Optional[Devices]:
        """The devices a department call rings for member `e`, None when it skips them."""
        login = e.login
        zone = self.snapshot.zone_of(e)
        devices = self.devices(e, bool(e.mobile) and self.overrides.forward_to_mobile(login))
        why = skip_reason(reached=login in self.people,
                          absent=absence_now(e.reception.absences, self.now, zone) is not None,
                          working=self.working(e), dnd=self.overrides.dnd(login),
                          busy=self.presence.is_busy(login), skip_busy=d.skip_busy, devices=devices)
        return devices if why is None else None

    # ------------------------------------------------------------------ where next

    def follow(self, target: Target, owner: Entity, reason: str) -> None:
        """Where `owner`'s target sends the call (routing.targets)."""
        action, value = target.kind, target.value
        if action not in targets.FORWARDS:
            self.steps.append(targets.final_step(action, value, ref_of(owner), owner.extension, reason))
            return
        entity = self.snapshot.by_login.get(value) if action == targets.EMPLOYEE else \
            self.snapshot.departments.get(value)
        if entity is None:                   # dangling reference (config checks refuse them)
            self.steps.append(targets.final_step(targets.VOICEMAIL, None, ref_of(owner), owner.extension, reason))
            return
        reached = entity.name in self.departments if isinstance(entity, Department) else entity.login in self.people
        refused = targets.forward_refused(reached, self.hops, self.company.max_forwards)
        if refused is not None:
            origin = entity_of(self.snapshot, self.origin)
            self.steps.append(targets.final_step(targets.VOICEMAIL, None, self.origin, origin.extension, refused))
            return
        self.hops += 1
        if self.rang:
            self.then = Continuation(ref_of(entity), reason, self.origin, frozenset(self.people),
                                     frozenset(self.departments), self.hops, self.caller, self.internal, self.did)
        else:
            self.reach(entity, reason)

    # ------------------------------------------------------------------ legs and the bridge

    def legs(self, e: Employee, devices: Devices, start: int, end: int) -> list[Leg]:
        """`e`'s devices in the turn from `start` to `end` of the step (routing.devices.timings)."""
        out = []
        for device, delay, timeout in timings(devices, start, end):
            if device == OFFICE:
                dial = dialstring.leg(dialstring.office_endpoint(e.login, self.company.domain), timeout, delay)
                out.append(Leg(OFFICE, e.login, delay, timeout, dial, False))
            else:
                confirm = e.reception.mobile_confirm
                extra = dialstring.join_variables(self.mobile_variables(),
                                                  dialstring.confirm_variables(
                                                      confirm_file(self.company), self.company.mobile_confirm_seconds)
                                                  if confirm else "")
                dial = dialstring.leg(dialstring.mobile_endpoint(self.company.gateway, e.mobile), timeout, delay,
                                      extra)
                out.append(Leg(MOBILE, e.login, delay, timeout, dial, confirm))
        return out

    def ring(self, legs: list[Leg], reason: str, target: str) -> None:
        """One ring step: one bridge of all the legs, as long as the last one rings."""
        self.rang = True
        timeout = max(leg.delay + leg.timeout for leg in legs)
        mobile = any(leg.device == MOBILE for leg in legs)
        call_vars = call_variables(self.own_number()) if mobile else ""
        confirm = confirm_seconds(self.company, legs)
        dial = dialstring.bridge([leg.dial for leg in legs], timeout, mobile, call_vars, confirm)
        self.steps.append(Step(action="ring", legs=tuple(legs), timeout=timeout, dial=dial, confirm=confirm,
                               reason=reason, target=target))

    def own_number(self) -> Optional[str]:
        return own_number(self.caller, self.internal, self.company.mobile_caller_id)

    def mobile_variables(self) -> str:
        """What every mobile leg of this call carries (routing.callerid)."""
        return mobile_leg_variables(self.own_number(), self.did, self.company.caller_id, self.company.diversion)
