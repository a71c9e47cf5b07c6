"""Expanding one call into steps, following forwards from person to person.

A `Walk` is the memory of one plan being built: the steps so far, who has been
reached (people and departments, by their Step.target ref) and how many forwards
were taken.  Each person reached is handled by their own rules, in this order:

1. absence covering today (their zone): the announcement, then the absence's target;
2. off hours by their own schedule: the `off_hours` target;
3. DND (`*78`): straight to the `no_answer` target;
4. devices (`*21` forward to mobile, presence): ring, then the `no_answer` target;
   with nothing to ring, the `no_answer` target at once (reason `unregistered`).

A forward to an employee or department is a hop.  Reaching someone already reached
(a loop), or a hop beyond `company.max_forwards`, ends the call in the voicemail of
whoever was originally called.  Department members who are rung count as reached.
Inside a department a member's own no-answer forwarding is not followed: the
department's target is.

This is the hot path of `plan()` (budget: 50 µs at p99 for 20-member departments),
hence the precomputed index, the fast value constructors and the plain loops.
"""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple, Optional, Sequence, Union

from config.models import Absence
from routing import dialstring
from routing.absence import current_absence
from routing.callerid import call_variables, mobile_leg_variables, own_number
from routing.department import longest_idle, members_needed, round_robin, windows
from routing.devices import FORWARDED, MOBILE, OFFICE, OFFICE_ONLY, Devices, devices_for
from routing.index import Entity, Group, Person, Route, RoutingIndex, route_of
from routing.types import Call, Leg, Overrides, Presence, Rotation, Step
from routing.values import new_leg, new_step

Owner = Union[Person, Group]
_UNKNOWN = object()


class Walk:
    __slots__ = ("index", "call", "internal", "did", "now", "presence", "rotation", "overrides", "origin",
                 "steps", "visited", "hops", "memo", "_local", "_clocks", "_mobile_vars", "_call_vars", "_own")

    def __init__(self, index: RoutingIndex, call: Call, internal: bool, did: Optional[str], now: dt.datetime,
                 presence: Presence, rotation: Rotation, overrides: Overrides, origin: Entity):
        self.index = index
        self.call = call
        self.internal = internal
        self.did = did                       # the company number the call came in on
        self.now = now
        self.presence = presence
        self.rotation = rotation
        self.overrides = overrides
        self.origin = origin
        self.steps: list[Step] = []
        self.visited: set[str] = set()
        self.hops = 0
        self._local: dict[object, dt.datetime] = {}
        self._clocks: dict[object, bool] = {}    # is working, by Person.clock
        self._mobile_vars: dict[str, str] = {}   # by the person's confirmation variables
        self._call_vars: Optional[str] = None
        self._own: object = _UNKNOWN
        self.memo = index.memo

    # ------------------------------------------------------------------ reaching

    def reach(self, entity: Entity, reason: str) -> str:
        """Route to a person or department; returns their state (a Plan.reason)."""
        if isinstance(entity, Group):
            return self.department(entity, reason)
        return self.person(entity, reason)

    def person(self, p: Person, reason: str) -> str:
        self.visited.add(p.ref)
        if p.absences:
            absence = self._absent(p)
            if absence is not None:
                if absence.announce:
                    self.steps.append(new_step(action="announce", file=absence.announce, reason="absent",
                                               target=p.ref))
                self.follow(route_of(absence.forward), p, "absent")
                return "absent"
        if not self._working(p):
            self.follow(p.off_hours, p, "off_hours")
            return "off_hours"
        if self.overrides.dnd(p.login):
            self.follow(p.no_answer, p, "dnd")
            return "dnd"
        devices = devices_for(p, self.presence, self.overrides)
        if not devices:
            self.follow(p.no_answer, p, "unregistered")
            return "unregistered"
        state = "forward_to_mobile" if devices is FORWARDED else "working"
        if p.no_answer_after > 0:
            self._ring_person(p, devices, "forward_to_mobile" if devices is FORWARDED else reason)
        self.follow(p.no_answer, p, "no_answer")
        return state

    def department(self, g: Group, reason: str) -> str:
        self.visited.add(g.ref)
        available = self._available(g, members_needed(g.strategy, len(g.members), g.member_timeout, g.timeout))
        if not available:
            self.follow(g.no_answer, g, "no_one_available")
            return "no_one_available"
        if g.strategy == "round_robin":
            available = round_robin(available, self.rotation.round_robin_start(g.name))
        elif g.strategy == "longest_idle":
            last = self.rotation.last_answered
            available = longest_idle(available, lambda pair: last(pair[0].login))
        bridge = self._department_bridge(g, available)
        self.visited.update(member.ref for member, _ in available[:bridge.rung])
        self.steps.append(self._ring_step(bridge, reason, g.ref))
        self.follow(g.no_answer, g, "no_answer")
        return "department"

    def _available(self, g: Group, wanted: int) -> list[tuple[Person, Devices]]:
        """The first `wanted` members who can be rung now, with their devices, in the
        department's order.

        Skipped: already reached in this call, absent, off hours by their own
        schedule, DND, on a call (when the department skips busy members), nothing
        to ring.  (Written as one loop: it runs for every member of every department call.)"""
        visited, clocks, presence, overrides = self.visited, self._clocks, self.presence, self.overrides
        dnd, is_busy = overrides.dnd, presence.is_busy if g.skip_busy else None
        available = []
        for m in g.members:
            if m.ref in visited:
                continue
            working = clocks.get(m.clock)
            if working is None:
                working = self._working(m)
            if not working or m.absences and self._absent(m):
                continue
            login = m.login
            if dnd(login) or is_busy is not None and is_busy(login):
                continue
            devices = devices_for(m, presence, overrides)
            if devices:
                available.append((m, devices))
                if len(available) == wanted:
                    break
        return available

    # ------------------------------------------------------------------ targets

    def follow(self, route: Route, owner: Owner, reason: str) -> None:
        """Where `owner`'s rule sends the call; `voicemail: true` is the owner's own box."""
        kind, value = route
        if kind == "employee":
            self._forward(self.index.people.get(value), owner, reason)
        elif kind == "department":
            self._forward(self.index.groups.get(value), owner, reason)
        else:
            self.steps.append(self._final(kind, value, owner, reason))

    def _forward(self, entity: Optional[Entity], owner: Owner, reason: str) -> None:
        if entity is None:                   # dangling reference (config checks refuse them)
            self.steps.append(self._final("voicemail", None, owner, reason))
        elif entity.ref in self.visited:
            self.steps.append(self._final("voicemail", None, self.origin, "loop"))
        elif self.hops >= self.index.max_forwards:
            self.steps.append(self._final("voicemail", None, self.origin, "max_forwards"))
        else:
            self.hops += 1
            self.reach(entity, reason)

    def _final(self, kind: str, value: Optional[str], owner: Owner, reason: str) -> Step:
        """A voicemail, message or busy step (the same for every call: memoised)."""
        key = ("final", kind, value, owner.ref, reason)
        step = self.memo.get(key)
        if step is None:
            if kind == "voicemail":
                step = new_step(action="voicemail", mailbox=value or owner.mailbox, reason=reason, target=owner.ref)
            elif kind == "message":
                step = new_step(action="message", file=value, reason=reason, target=owner.ref)
            else:
                step = new_step(action="hangup", cause="USER_BUSY", reason=reason, target=owner.ref)
            self.memo.put(key, step)
        return step

    # ------------------------------------------------------------------ legs

    def _ring_person(self, p: Person, devices: Devices, reason: str) -> None:
        """One person's ring step, for their whole `no_answer.after`."""
        extra = "" if devices is OFFICE_ONLY else self._mobile_extra(p.confirm)
        key = ("person", p, id(devices), extra)
        bridge = self.memo.get(key)
        if bridge is None:
            bridge = self.memo.put(key, Bridge.of(_legs(p, devices, 0, p.no_answer_after, extra), 1))
        self.steps.append(self._ring_step(bridge, reason, p.ref))

    def _department_bridge(self, g: Group, available: list[tuple[Person, Devices]]) -> "Bridge":
        """The members' legs in their windows, memoised by who rings with which devices:
        a department called again with the same people available reuses its bridge."""
        key = [g, self._mobile_extra("")]
        for member, devices in available:
            key += (member, id(devices))
        key = tuple(key)
        bridge = self.memo.get(key)
        if bridge is None:
            legs: list[Leg] = []
            spans = windows(g.strategy, len(available), g.member_timeout, g.timeout)
            for (member, devices), (start, end) in zip(available, spans):
                extra = "" if devices is OFFICE_ONLY else self._mobile_extra(member.confirm)
                legs += _legs(member, devices, start, end, extra)
            bridge = self.memo.put(key, Bridge.of(legs, len(spans)))
        return bridge

    def _ring_step(self, bridge: "Bridge", reason: str, target: str) -> Step:
        call_vars = self._call_variables() if bridge.mobile else ""
        dial = dialstring.bridge_prefix(bridge.timeout, bridge.mobile, call_vars) + bridge.dial
        return new_step(action="ring", legs=bridge.legs, timeout=bridge.timeout, dial=dial, reason=reason,
                        target=target)

    def _call_variables(self) -> str:
        if self._call_vars is None:
            self._call_vars = call_variables(self._own_number())
        return self._call_vars

    def _own_number(self) -> Optional[str]:
        """The caller's number if mobile legs show it (see routing.callerid); once per call."""
        if self._own is _UNKNOWN:
            self._own = own_number(self.index, self.call.caller, self.internal)
        return self._own

    def _mobile_extra(self, confirm: str) -> str:
        """A mobile leg's variables besides its timing: the company's caller ID and
        Diversion when they apply (worked out once per call), then the person's answer
        confirmation.  `confirm=""` gives the call's part alone."""
        extra = self._mobile_vars.get(confirm)
        if extra is None:
            call_vars = self._mobile_vars.get("")
            if call_vars is None:
                call_vars = self._mobile_vars[""] = mobile_leg_variables(self.index, self._own_number(), self.did)
            extra = self._mobile_vars[confirm] = dialstring.join_variables(call_vars, confirm)
        return extra

    def _absent(self, p: Person) -> Optional[Absence]:
        """The absence covering today on the person's own calendar."""
        return current_absence(p.absences, self._local_time(p.clock.zone).date())

    def _working(self, p: Person) -> bool:
        """Whether `p` works now by their own schedule; worked out once per clock and call."""
        clock = p.clock
        working = self._clocks.get(clock)
        if working is None:
            calendar = clock.calendar
            working = calendar is None or calendar.is_working(self._local_time(clock.zone))
            self._clocks[clock] = working
        return working

    def _local_time(self, zone) -> dt.datetime:
        """`now` on the wall clock of `zone`, computed once per zone and call."""
        local = self._local.get(zone)
        if local is None:
            local = self._local[zone] = self.now.astimezone(zone)
        return local


class Bridge(NamedTuple):
    """A ring step's legs, without what depends on the caller (see routing.callerid)."""
    legs: tuple[Leg, ...]
    dial: str                   # the legs' dial strings joined by ","
    timeout: int                # the caller's wait: the latest end of a leg
    mobile: bool                # a mobile leg rings
    rung: int                   # how many people (in the order given) have legs

    @classmethod
    def of(cls, legs: Sequence[Leg], rung: int) -> "Bridge":
        return cls(tuple(legs), ",".join(leg.dial for leg in legs), max(leg.delay + leg.timeout for leg in legs),
                   any(leg.device == MOBILE for leg in legs), rung)


def _legs(p: Person, devices: Devices, start: int, end: int, extra: str) -> list[Leg]:
    """The person's legs inside the window [start, end) of the step, in seconds."""
    legs = []
    for device, offset in devices:
        delay = start + offset
        if delay >= end:
            continue
        timeout = end - delay
        if device == OFFICE:
            legs.append(new_leg(OFFICE, p.login, delay, timeout, dialstring.leg(p.office, timeout, delay)))
        else:
            legs.append(new_leg(MOBILE, p.login, delay, timeout, dialstring.leg(p.mobile, timeout, delay, extra),
                                bool(p.confirm)))
    return legs
