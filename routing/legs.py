"""Ring steps' legs, built once and reused by later calls.

A person's legs in one turn of a ring step depend only on which of their devices
ring (a variant, routing.devices), the turn's window [start, end) in the step, and
the mobile legs' variables (the caller ID and Diversion the company shows, the
answer confirmation; never the caller's own number, see routing.callerid).  Those
combinations come from the file: a person has a turn of their own and one per
position their department's strategy can give them.  So each combination is built
once as a `Fragment` (Leg objects and their dial strings joined), and a department's
bridge is its rung members' fragments put together, itself kept per department by
who rings with which devices, as departments are mostly called with the same people
available.  A call then builds only its Step, and the dial string's head when it
carries the caller's number.

Both caches are bounded, so that the memory a long-running daemon keeps does not
grow with the patterns it has seen (a new pattern is also work for the garbage
collector: what is kept between calls is what it scans):
- fragments: `LegCache.limit` in all (a Memo: the oldest eighth goes first);
- bridges: `BRIDGES_PER_DEPARTMENT` per department, started over when full.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from routing import dialstring
from routing.devices import MOBILE, OFFICE, VARIANTS, Devices, turn_devices
from routing.memo import Memo
from routing.types import Leg
from routing.values import new_leg

if TYPE_CHECKING:
    from routing.index import Group, Person

FRAGMENTS = 50_000                           # a few per employee of a 10,000-employee company; ~25 MB
BRIDGES_PER_DEPARTMENT = 16                  # availability patterns seen lately


class Fragment(NamedTuple):
    """Legs of one ring step, or of one person's turn in it."""
    legs: tuple[Leg, ...]
    dial: str                                # the legs' dial strings joined by ","
    end: int                                 # when the last leg stops, from the start of the step
    mobile: bool                             # a mobile leg rings
    whole: str = ""                          # a department's bridge without a mobile leg: the whole
                                             # bridge argument (the same for every caller)


class LegCache:
    __slots__ = ("_fragments",)

    def __init__(self, limit: int = FRAGMENTS):
        self._fragments = Memo(limit)

    def fragment(self, p: Person, variant: int, start: int, end: int, call_extra: str) -> Fragment:
        """`p`'s legs inside [start, end) of a step, with the devices of `variant`
        (routing.devices.REGISTERED_TURN …); `call_extra`: the mobile legs' escaped
        variables that depend on the call (see Walk._mobile_extra), kept apart only
        when a mobile rings."""
        if not (p.mobile_variants >> variant) & 1:
            call_extra = ""
        key = (p, variant, start, end, call_extra)
        found = self._fragments.get(key)
        if found is None:
            extra = dialstring.join_variables(call_extra, p.confirm)
            found = self._fragments.put(key, build(p, turn_devices(p, variant), start, end, extra))
        return found

    def department(self, g: Group, rung: list[int], call_extra: str) -> Fragment:
        """The bridge of a department's rung members, given as turns (member index *
        VARIANTS + device variant, see Walk._available), each in its window."""
        key = (call_extra, *rung)
        bridges = g.bridges
        found = bridges.get(key)
        if found is None:
            if len(bridges) >= BRIDGES_PER_DEPARTMENT:
                bridges.clear()
            found = bridges[key] = self._join(g, rung, call_extra)
        return found

    def _join(self, g: Group, rung: list[int], call_extra: str) -> Fragment:
        legs: list[Leg] = []
        dials: list[str] = []
        timeout, mobile = 0, False
        for turn, (start, end) in zip(rung, g.windows):
            part = self.fragment(g.members[turn // VARIANTS], turn % VARIANTS, start, end, call_extra)
            legs += part.legs
            dials.append(part.dial)
            timeout = max(timeout, part.end)
            mobile = mobile or part.mobile
        dial = ",".join(dials)
        whole = "" if mobile else dialstring.bridge_prefix(timeout, False) + dial
        return Fragment(tuple(legs), dial, timeout, mobile, whole)


def build(p: Person, devices: Devices, start: int, end: int, extra: str) -> Fragment:
    """`p`'s legs for `devices` inside [start, end); `extra`: the mobile legs' variables."""
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
    return Fragment(tuple(legs), ",".join(leg.dial for leg in legs),
                    max((leg.delay + leg.timeout for leg in legs), default=start),
                    any(leg.device == MOBILE for leg in legs))
