"""The speed layer's walk: routing.walk's rules, composed for a 10,000-employee
company within the budget.  tests/routing/test_fast_layer.py checks that it plans
exactly as routing.walk does, over random companies, times and live states.

A `Walk` is the memory of one plan being built, as routing.walk's is; the rules it
applies are those of routing.reception (a person called directly), routing.skipping
and routing.strategies (a department), routing.targets (where the call goes next),
routing.devices and routing.callerid (the legs): this module only says how they are
applied fast.

This is the daemon's hot path (budget: 100 µs at p99 for 20-member departments),
hence:
- `now` is read once, as whole UTC seconds; whether a clock (zone + schedule) works
  is kept per UTC hour for all calls (routing.fast.clock), a zone's local day per call;
- a department call works out who can ring as masks (bit i: member i): the
  department's members by clock, by devices and with absences (routing.fast.index),
  and what the live views say of them, kept between calls by routing.fast.live; the masks
  are the key its ring step is kept under;
- a department's bridge is built from its members' leg templates and kept by who
  rings with which devices, a person's legs per turn (routing.fast.legs); a call builds
  only its steps, and the head of a dial string when it carries the caller's number.
"""
from __future__ import annotations

from typing import Optional, Union
from zoneinfo import ZoneInfo

from config.models import Absence
from routing import dialstring, reception
from routing.callerid import call_variables, mobile_leg_variables, own_number
from routing.fast.clock import Clock, WorkingHours
from routing.fast.entries import Entity, Group, Person, Route, absence_on, route_of
from routing.fast.index import RoutingIndex
from routing.fast.legs import Fragment, Ring
from routing.fast.live import LiveMasks, masks_of
from routing.fast.localtime import SECONDS_PER_HOUR
from routing.fast.turns import FORWARDED_TURN, UNREGISTERED_TURN, VARIANTS, turn_devices, turn_for
from routing.strategies import idle_order, round_robin
from routing.targets import final_step
from routing.types import Continuation, Overrides, Presence, Rotation, Step

Owner = Union[Person, Group]
_UNKNOWN = object()


class Walk:
    __slots__ = ("index", "caller", "internal", "did", "seconds", "presence", "rotation", "overrides", "live", "origin",
                 "steps", "visited", "departments", "hops", "rang", "then", "_local", "_hour", "_minute", "_extra",
                 "_call_vars", "_own")

    def __init__(self, index: RoutingIndex, caller: str, internal: bool, did: Optional[str], seconds: int,
                 presence: Presence, rotation: Rotation, overrides: Overrides, origin: Entity,
                 live: Optional[LiveMasks] = None):
        self.index = index
        self.caller = caller
        self.internal = internal
        self.did = did                       # the company number the call came in on
        self.seconds = seconds               # now: whole seconds since the epoch, UTC
        self.presence = presence
        self.rotation = rotation
        self.overrides = overrides
        self.live = live                     # departments' masks kept between calls (routing.fast.live)
        self.origin = origin
        self.steps: list[Step] = []
        self.visited: set[str] = set()       # logins of the people reached
        self.departments: set[str] = set()   # names of the departments reached
        self.hops = 0
        self.rang = False                    # a ring step is in: later forwards are decided later
        self.then: Optional[Continuation] = None
        hour, second = divmod(seconds, SECONDS_PER_HOUR)
        self._hour = index.working.of(hour)  # the clocks' worked minutes in this UTC hour
        self._minute = second // 60
        self._local: Optional[dict[ZoneInfo, tuple[int, int]]] = None    # see _local_time
        self._extra: Optional[str] = None    # see _mobile_extra
        self._call_vars: Optional[str] = None
        self._own: object = _UNKNOWN

    # ------------------------------------------------------------------ reaching

    def reach(self, entity: Entity, reason: str) -> str:
        """Route to a person or department; returns their state (a Plan.reason)."""
        if type(entity) is Group:
            return self.department(entity, reason)
        return self.person(entity, reason)

    def person(self, p: Person, reason: str) -> str:
        """routing.reception's order, with the devices as a turn variant (routing.fast.turns)."""
        self.visited.add(p.login)
        absence = self._absence(p) if p.absences else None
        variant = turn_for(p, self.presence, self.overrides)
        devices = turn_devices(p, variant) if variant is not None else ()
        state = reception.direct_call(absent=absence is not None, working=self._working(p.clock),
                                      dnd=self.overrides.dnd(p.login), devices=devices,
                                      forwarded_to_mobile=variant == FORWARDED_TURN)
        if state == reception.ABSENT and absence.announce:
            self.steps.append(Step(action="announce", file=absence.announce, reason="absent", target=p.ref))
        if state in reception.RINGS and p.no_answer_after > 0:
            legs = self.index.legs.fragment(p, variant, 0, p.no_answer_after, self._mobile_extra())
            self.steps.append(self._ring_step(legs, state if state == reception.FORWARD_TO_MOBILE else reason, p.ref))
        target = {"absence": route_of(absence.forward) if absence is not None else None, "off_hours": p.off_hours,
                  "no_answer": p.no_answer}[reception.TARGET_OF[state]]
        self.follow(target, p, reception.target_reason(state))
        return state

    def department(self, g: Group, reason: str) -> str:
        self.departments.add(g.name)
        ring = self._ring_of(g)
        if ring is None:
            self.follow(g.no_answer, g, "no_one_available")
            return "no_one_available"
        self.visited.update(ring.logins)
        self.steps.append(self._ring_step(ring.bridge, reason, g.ref))
        self.follow(g.no_answer, g, "no_answer")
        return "department"

    def _ring_of(self, g: Group) -> Optional[Ring]:
        """The department's ring step now, or None when no member can be rung.

        Kept per department (routing.fast.legs) under who rings with which devices, as
        the masks of `_available`, and for round robin the member it starts with;
        for longest idle, whose order is read member by member, under the turns in
        that order."""
        registered, forwarded, unregistered = self._available(g)
        available = registered | forwarded | unregistered
        if not available:
            return None
        extra = self._mobile_extra()
        strategy = g.strategy
        rung: Optional[list[int]] = None
        first = 0
        if strategy == "longest_idle":
            turns = _turns(registered, forwarded, unregistered)
            last, logins = self.rotation.last_answered, g.logins
            rung = idle_order(turns, [last(logins[turn // VARIANTS]) for turn in turns])[:len(g.windows)]
            key: tuple = (extra, tuple(rung))
        else:
            if strategy == "round_robin":
                first = self.rotation.round_robin_start(g.name) % available.bit_count()
            key = (extra, registered, forwarded, unregistered, first)
        ring = self.index.legs.bridge(g, key)
        if ring is None:
            if rung is None:
                rung = round_robin(_turns(registered, forwarded, unregistered), first)[:len(g.windows)]
            ring = self.index.legs.keep(g, key, rung, extra)
        return ring

    def _available(self, g: Group) -> tuple[int, int, int]:
        """Who of `g` can be rung now, as masks (bit i: member i) by the device variant
        that rings (routing.devices): registered (or needing no registration),
        forwarded to the mobile (`*21`), not registered but ringing the mobile
        (`devices: all`).  Sequential and cascade keep the first `g.needed`.

        Left out: already reached in this call, off hours by their own schedule,
        absent, DND, on a call (when the department skips busy members), nothing to
        ring.  This is routing.skipping's rule with routing.devices' (as
        routing.fast.turns.turn_for gives it) as integer operations, except that a
        mobile-only member is not asked about `*21` (it would ring the same mobile);
        what the live views say comes as masks too (routing.fast.live)."""
        unregistered, busy, dnd, forwarded = self.live.of(g) if self.live is not None else \
            masks_of(g, self.presence, self.overrides)
        hour, minute = self._hour, self._minute
        working = 0
        for clock, members in g.clock_masks:
            worked = hour.get(clock)
            if worked is None:
                if self._working(clock):
                    working |= members
            elif (worked >> minute) & 1:
                working |= members
        if self.visited:
            bits = g.bits
            for login in g.login_set.intersection(self.visited):     # by the sets' hashes: no login is read
                working &= ~bits[login]
        left = working & ~dnd
        if g.skip_busy:
            left &= ~busy
        for members, absences, zone in g.absentees:
            if left & members and absence_on(absences, self._local_time(zone)[0]) is not None:
                left &= ~members
        office, mobile, either, both = g.setup_masks
        can_forward = either | both
        on_mobile = left & can_forward & forwarded
        registered = left & (office & ~unregistered | can_forward & ~unregistered & ~forwarded | mobile)
        unregistered = left & both & unregistered & ~forwarded
        if g.needed < len(g.logins):
            beyond = registered | on_mobile | unregistered
            for _ in range(g.needed):
                beyond &= beyond - 1            # drops the lowest member
            if beyond:
                registered &= ~beyond
                on_mobile &= ~beyond
                unregistered &= ~beyond
        return registered, on_mobile, unregistered

    # ------------------------------------------------------------------ targets

    def follow(self, route: Route, owner: Owner, reason: str) -> None:
        """Where `owner`'s rule sends the call; `voicemail: true` is the owner's own box."""
        action, value = route
        if action == "employee":
            self._forward(self.index.people.get(value), owner, reason)
        elif action == "department":
            self._forward(self.index.groups.get(value), owner, reason)
        else:
            self.steps.append(self._final(action, value, owner, reason))

    def _forward(self, entity: Optional[Entity], owner: Owner, reason: str) -> None:
        if entity is None:                   # dangling reference (config checks refuse them)
            self.steps.append(self._final("voicemail", None, owner, reason))
        elif (entity.name in self.departments) if type(entity) is Group else (entity.login in self.visited):
            self.steps.append(self._final("voicemail", None, self.origin, "loop"))
        elif self.hops >= self.index.max_forwards:
            self.steps.append(self._final("voicemail", None, self.origin, "max_forwards"))
        else:
            self.hops += 1
            if self.rang:
                self.then = Continuation(entity.ref, reason, self.origin.ref, frozenset(self.visited),
                                         frozenset(self.departments), self.hops, self.caller, self.internal, self.did)
            else:
                self.reach(entity, reason)

    @classmethod
    def resuming(cls, index: RoutingIndex, then: Continuation, seconds: int, presence: Presence,
                 rotation: Rotation, overrides: Overrides, live: Optional[LiveMasks]) -> Walk:
        """A walk that goes on from `then`, at `seconds`."""
        walk = cls(index, then.caller, then.internal, then.did, seconds, presence, rotation, overrides,
                   entity_of(index, then.origin), live)
        walk.visited.update(then.people)
        walk.departments.update(then.departments)
        walk.hops = then.hops
        return walk

    def _final(self, action: str, value: Optional[str], owner: Owner, reason: str) -> Step:
        """A voicemail, message or busy step (routing.targets; the same for every call: memoised)."""
        memo = self.index.memo
        key = (action, value, owner, reason)
        step = memo.get(key)
        if step is None:
            step = memo.put(key, final_step(action, value, owner.ref, owner.mailbox, reason))
        return step

    # ------------------------------------------------------------------ ring steps

    def _ring_step(self, legs: Fragment, reason: str, target: str) -> Step:
        """The step of a bridge: its legs' dial strings behind the call-wide variables."""
        self.rang = True
        confirm = 0
        if legs.whole:
            dial = legs.whole
        else:
            call_vars = self._call_variables() if legs.mobile else ""
            confirm = self.index.confirm_seconds if legs.confirm else 0
            dial = dialstring.bridge_prefix(legs.end, legs.mobile, call_vars, confirm) + legs.dial
        return Step(action="ring", legs=legs.legs, timeout=legs.end, dial=dial, confirm=confirm, reason=reason,
                    target=target)

    def _call_variables(self) -> str:
        if self._call_vars is None:
            self._call_vars = call_variables(self._own_number())
        return self._call_vars

    def _own_number(self) -> Optional[str]:
        """The caller's number if mobile legs show it (see routing.callerid); once per call."""
        if self._own is _UNKNOWN:
            self._own = own_number(self.caller, self.internal, self.index.mobile_caller_id)
        return self._own

    def _mobile_extra(self) -> str:
        """The mobile legs' variables that depend on the call: the company's caller ID
        when the caller's own number is not shown, and the Diversion header naming
        the company number dialled (see routing.callerid).  Memoised across calls."""
        extra = self._extra
        if extra is None:
            own = self._own_number()
            did = self.did if self.index.diversion else None
            key = ("mobile", own is None, did)
            memo = self.index.memo
            extra = memo.get(key)
            if extra is None:
                extra = memo.put(key, mobile_leg_variables(own, did, self.index.caller_id, self.index.diversion))
            self._extra = extra
        return extra

    # ------------------------------------------------------------------ time

    def _absence(self, p: Person) -> Optional[Absence]:
        """The absence covering today on the person's own calendar, if any."""
        return absence_on(p.absences, self._local_time(p.clock.zone)[0])

    def _working(self, clock: Clock) -> bool:
        """Whether people on `clock` work now by its schedule (routing.fast.clock)."""
        return WorkingHours.works(self._hour, clock, self.seconds)

    def _local_time(self, zone: ZoneInfo) -> tuple[int, int]:
        """`now` on the wall clock of `zone`: (day ordinal, minute of the day), once per zone and call
        (only absences need it: most calls never do)."""
        if self._local is None:
            self._local = {}
        local = self._local.get(zone)
        if local is None:
            local = self._local[zone] = self.index.offsets.local(zone, self.seconds)
        return local


def _turns(registered: int, forwarded: int, unregistered: int) -> list[int]:
    """The members of the masks in the department's order, each as a turn: member
    index * VARIANTS + the device variant that rings."""
    available = registered | forwarded | unregistered
    turns = []
    while available:
        low = available & -available
        turn = (low.bit_length() - 1) * VARIANTS
        if forwarded & low:
            turn += FORWARDED_TURN
        elif unregistered & low:
            turn += UNREGISTERED_TURN
        turns.append(turn)
        available ^= low
    return turns


def entity_of(index: RoutingIndex, ref: str) -> Entity:
    """The person or department a Step.target / Plan.target names."""
    what, _, name = ref.partition(":")
    return index.people[name] if what == "employee" else index.groups[name]
